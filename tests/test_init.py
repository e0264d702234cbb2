"""The initialisation setting keys `init` and `init_scale` (lmc.nn.models.initialise):
torch_default is exactly each layer's reset_parameters(), every scheme has its formula's
spread, kaiming_normal is byte-for-byte the earlier fixed scheme, init_scale touches
weights only, and the config schema rejects bad values with one line."""
from __future__ import annotations

import copy
import math
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from torch import nn

from lmc.config import checks as lmc_config
from lmc.config import grid
from lmc.nn.initialisation import INIT_SCHEMES
from lmc.nn.models import MLP, build_model, table3_counts
from lmc.nn.patch_models import CNN, AttentionViT, LocallyConnected
from lmc.report import names, summary
from lmc.train import loop
from lmc.train import settings as train_settings

ROOT = Path(__file__).resolve().parents[1]
MNIST, CIFAR = (1, 28, 28), (3, 32, 32)
SMALL = {"linear": {"depth": 3, "width": 24}, "mlp": {"depth": 3, "width": 24, "slope": 0.3},
         "cnn": {"channels": 6, "kernel": 4}, "lcn": {"channels": 6, "kernel": 4},
         "vit": {"patch": 7, "heads": 2, "head_dim": 4}}
# The weight matrices / kernels of each model: what init_scale multiplies (nothing else).
WEIGHTS = {"linear": {"layers.0.weight", "layers.1.weight", "layers.2.weight"},
           "mlp": {"layers.0.weight", "layers.1.weight", "layers.2.weight"},
           "cnn": {"conv.weight", "classifier.weight"},
           "lcn": {"weight", "classifier.weight"},
           "vit": {"embed.weight", "qkv.weight", "proj.weight", "head.weight"}}


def build(kind: str, init: str, scale: float = 1.0, seed: int = 0, shape=MNIST) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    model = build_model({"model": kind, "init": init, "init_scale": scale, **SMALL[kind]}, shape, 10)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_bytes(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor]) -> None:
    assert got.keys() == want.keys()
    for k in want:
        assert got[k].shape == want[k].shape, k
        assert torch.equal(got[k], want[k]), f"{k} differs"


# --- hand-built references: torch's own layers, seeded identically ---------------------------

def torch_layers_reference(kind: str, seed: int) -> dict[str, torch.Tensor]:
    """The state each model should have under `torch_default`: torch's layers constructed
    in the model's order under the same seed (each one's reset_parameters())."""
    torch.manual_seed(seed)
    p = SMALL[kind]
    out: dict[str, torch.Tensor] = {}
    if kind in ("linear", "mlp"):
        sizes = [784] + [p["width"]] * (p["depth"] - 1) + [10]
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layer = nn.Linear(a, b)
            out[f"layers.{i}.weight"], out[f"layers.{i}.bias"] = layer.weight.data, layer.bias.data
    elif kind == "cnn":
        conv, fc = nn.Conv2d(1, 6, 4, stride=4), nn.Linear(6 * 7 * 7, 10)
        out.update({"conv.weight": conv.weight.data, "conv.bias": conv.bias.data,
                    "classifier.weight": fc.weight.data, "classifier.bias": fc.bias.data})
    elif kind == "lcn":
        fc = nn.Linear(6 * 7 * 7, 10)            # the classifier resets itself on construction
        # then the unshared kernel, as nn.Conv2d(1, 6, 4).reset_parameters() draws its own:
        # kaiming_uniform_(a=sqrt(5)) with fan_in 1*4*4 (a 2-D view has exactly that fan-in),
        # then the bias U(±1/sqrt(16)).
        w = torch.empty(49 * 6, 16)
        nn.init.kaiming_uniform_(w, a=math.sqrt(5))
        b = torch.empty(6, 49).uniform_(-1 / math.sqrt(16), 1 / math.sqrt(16))
        out.update({"weight": w.reshape(49, 6, 16), "bias": b,
                    "classifier.weight": fc.weight.data, "classifier.bias": fc.bias.data})
    elif kind == "vit":
        d = p["heads"] * p["head_dim"]
        embed = nn.Linear(49, d)
        norm_attn, qkv, proj, norm_out, head = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d), \
            nn.LayerNorm(d), nn.Linear(d, 10)
        cls = torch.empty(d).normal_(0, 0.02)
        pos = torch.empty(16 + 1, d).normal_(0, 0.02)
        for name, m in (("embed", embed), ("norm_attn", norm_attn), ("qkv", qkv), ("proj", proj),
                        ("norm_out", norm_out), ("head", head)):
            out[f"{name}.weight"], out[f"{name}.bias"] = m.weight.data, m.bias.data
        out["cls_token"], out["pos"] = cls, pos
    return out


def old_kaiming_reference(kind: str, seed: int) -> dict[str, torch.Tensor]:
    """What lmc/nn/models.py drew before `init` existed (its fixed Kaiming-normal scheme),
    written out: the layers are constructed (their reset draws are consumed), then every
    weight is redrawn Kaiming-normal in layer order, biases zeroed, ViT tokens last."""
    torch.manual_seed(seed)
    p = SMALL[kind]
    out: dict[str, torch.Tensor] = {}
    if kind in ("linear", "mlp"):
        slope = 1.0 if kind == "linear" else p["slope"]
        sizes = [784] + [p["width"]] * (p["depth"] - 1) + [10]
        layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        for i, layer in enumerate(layers):
            nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity="leaky_relu")
            nn.init.zeros_(layer.bias)
            out[f"layers.{i}.weight"], out[f"layers.{i}.bias"] = layer.weight.data, layer.bias.data
    elif kind == "cnn":
        conv, fc = nn.Conv2d(1, 6, 4, stride=4), nn.Linear(6 * 7 * 7, 10)
        for layer in (conv, fc):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        out.update({"conv.weight": conv.weight.data, "conv.bias": conv.bias.data,
                    "classifier.weight": fc.weight.data, "classifier.bias": fc.bias.data})
    elif kind == "lcn":
        w, b = torch.empty(49, 6, 16), torch.zeros(6, 49)
        fc = nn.Linear(6 * 7 * 7, 10)
        w.normal_(0.0, math.sqrt(2.0) / math.sqrt(16))
        nn.init.kaiming_normal_(fc.weight, nonlinearity="relu")
        nn.init.zeros_(fc.bias)
        out.update({"weight": w, "bias": b, "classifier.weight": fc.weight.data,
                    "classifier.bias": fc.bias.data})
    elif kind == "vit":
        d = p["heads"] * p["head_dim"]
        embed = nn.Linear(49, d)
        cls, pos = torch.empty(d), torch.empty(17, d)
        norm_attn, qkv, proj, norm_out, head = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d), \
            nn.LayerNorm(d), nn.Linear(d, 10)
        for layer in (embed, qkv, proj, head):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="linear")
            nn.init.zeros_(layer.bias)
        nn.init.normal_(cls, std=0.02)
        nn.init.normal_(pos, std=0.02)
        for name, m in (("embed", embed), ("norm_attn", norm_attn), ("qkv", qkv), ("proj", proj),
                        ("norm_out", norm_out), ("head", head)):
            out[f"{name}.weight"], out[f"{name}.bias"] = m.weight.data, m.bias.data
        out["cls_token"], out["pos"] = cls, pos
    return out


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("kind", list(SMALL))
def test_torch_default_is_each_layers_reset_parameters(kind, seed):
    assert_same_bytes(build(kind, "torch_default", seed=seed), torch_layers_reference(kind, seed))


@pytest.mark.parametrize("kind", list(SMALL))
def test_kaiming_normal_reproduces_the_earlier_bytes(kind):
    assert_same_bytes(build(kind, "kaiming_normal", seed=3), old_kaiming_reference(kind, 3))


@pytest.mark.parametrize("scheme", INIT_SCHEMES[1:])
def test_mlp_schemes_are_torch_nn_init_functions(scheme):
    """On nn.Linear layers every scheme draws what torch.nn.init.<scheme>_ draws with the
    Leaky-ReLU gain (same seed, same order), and zeroes the biases."""
    slope = 0.3
    gain = nn.init.calculate_gain("leaky_relu", slope)
    torch.manual_seed(5)
    layers = [nn.Linear(784, 24), nn.Linear(24, 24), nn.Linear(24, 10)]
    fn = getattr(nn.init, scheme + "_")
    for layer in layers:
        if scheme.startswith("kaiming"):
            fn(layer.weight, a=slope, nonlinearity="leaky_relu")
        else:
            fn(layer.weight, gain=gain)
    got = build("mlp", scheme, seed=5)
    for i, layer in enumerate(layers):
        assert torch.equal(got[f"layers.{i}.weight"], layer.weight.data)
        assert torch.equal(got[f"layers.{i}.bias"], torch.zeros(layer.bias.shape))


# --- each scheme's spread ------------------------------------------------------------------

def expected_std(scheme: str, fan_in: int, fan_out: int, gain: float) -> float:
    if scheme == "torch_default":                  # U(±1/sqrt(fan_in))
        return 1 / math.sqrt(3 * fan_in)
    if scheme.startswith("kaiming"):
        return gain / math.sqrt(fan_in)
    return gain * math.sqrt(2 / (fan_in + fan_out))


def check_spread(w: torch.Tensor, scheme: str, fan_in: int, fan_out: int, gain: float) -> None:
    std = expected_std(scheme, fan_in, fan_out, gain)
    got = w.double().std().item()
    assert got == pytest.approx(std, rel=0.02), (scheme, got, std)
    assert abs(w.double().mean().item()) < 0.02 * std
    peak = w.abs().max().item()
    if scheme.endswith("uniform") or scheme == "torch_default":
        assert math.sqrt(3) * std * 0.98 < peak <= math.sqrt(3) * std * (1 + 1e-6)
    else:
        assert peak > 3.5 * std                    # normal tails reach past any uniform bound


def check_bias(b: torch.Tensor, scheme: str, fan_in: int) -> None:
    if scheme == "torch_default":
        assert 0 < b.abs().max().item() <= 1 / math.sqrt(fan_in)
    else:
        assert torch.equal(b, torch.zeros_like(b))


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
@pytest.mark.parametrize("slope", [0.0, 0.5])
def test_mlp_spread(scheme, slope):
    torch.manual_seed(0)
    model = MLP(2000, 10, 2, 2000, slope, init=scheme)
    gain = math.sqrt(2 / (1 + slope ** 2))
    check_spread(model.layers[0].weight.detach(), scheme, 2000, 2000, gain)
    check_bias(model.layers[0].bias.detach(), scheme, 2000)


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_cnn_and_lcn_spread_is_the_same(scheme):
    """CIFAR-shaped, 512 channels, kernel 8: fan-in 3*8*8 = 192, fan-out 512*8*8 (torch's
    Conv2d rule); the LC-CNN's unshared kernels have the CNN's distribution."""
    shape, channels, kernel = CIFAR, 512, 8
    fan_in, fan_out = 3 * kernel * kernel, channels * kernel * kernel
    torch.manual_seed(0)
    cnn = CNN(shape, 10, channels, kernel, init=scheme)
    torch.manual_seed(1)
    lcn = LocallyConnected(shape, 10, channels, kernel, init=scheme)
    for w, b in ((cnn.conv.weight, cnn.conv.bias), (lcn.weight, lcn.bias)):
        check_spread(w.detach(), scheme, fan_in, fan_out, math.sqrt(2))
        check_bias(b.detach(), scheme, fan_in)
    for fc in (cnn.classifier, lcn.classifier):
        check_spread(fc.weight.detach(), scheme, channels * 16, 10, math.sqrt(2))


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_vit_spread_and_fixed_parts(scheme):
    torch.manual_seed(0)
    model = AttentionViT(CIFAR, 10, 4, 8, 48, init=scheme)
    check_spread(model.qkv.weight.detach(), scheme, 384, 3 * 384, 1.0)
    check_bias(model.qkv.bias.detach(), scheme, 384)
    for t in (model.cls_token, model.pos):
        assert t.detach().std().item() == pytest.approx(0.02, rel=0.2)
    for norm in (model.norm_attn, model.norm_out):
        assert (torch.equal(norm.weight.detach(), torch.ones(384))
                and torch.equal(norm.bias.detach(), torch.zeros(384)))


# --- init_scale ----------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["torch_default", "kaiming_normal", "xavier_uniform"])
@pytest.mark.parametrize("kind", list(SMALL))
def test_init_scale_multiplies_weights_only(kind, scheme):
    base, scaled = build(kind, scheme, 1.0, seed=2), build(kind, scheme, 2.5, seed=2)
    assert WEIGHTS[kind] <= base.keys()
    for k in base:
        if k in WEIGHTS[kind]:
            assert torch.equal(scaled[k], base[k] * 2.5), k
        else:                                      # biases, LayerNorm, class token, positions
            assert torch.equal(scaled[k], base[k]), k


def test_bad_values_are_refused_by_the_models():
    with pytest.raises(ValueError, match="unknown init scheme 'he'"):
        MLP(10, 2, 2, 4, 0.0, init="he")
    for scale in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="init_scale must be a positive number"):
            CNN(MNIST, 10, 2, 4, init_scale=scale)


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_meta_device_counts_under_every_scheme(scheme):
    with torch.device("meta"):
        model = LocallyConnected(CIFAR, 10, 128, 4, init=scheme, init_scale=2.0)
    assert model.weight.is_meta
    assert table3_counts(CIFAR, 10, 128, 4)["lcn"] == 483_338


# --- the setting keys ----------------------------------------------------------------------

def _setting(**kw) -> dict:
    base = dict(dataset="mnist", model="mlp", depth=2, width=16, slope=0.0, optimizer="sgd", lr=0.1,
                momentum=0.9, batch_size=64, epochs=1, warmup_fraction=0.0, schedule="constant",
                weight_decay=0.0, augment="none", seed=0, init="torch_default", init_scale=1.0)
    base.update(kw)
    return base


@pytest.mark.parametrize("model,extra", [("linear", {}), ("mlp", {}), ("cnn", {"channels": 4, "kernel": 4}),
                                         ("lcn", {"channels": 4, "kernel": 4}),
                                         ("vit", {"patch": 7, "heads": 2, "head_dim": 4})])
def test_init_is_part_of_every_run_id(model, extra):
    s = _setting(model=model, **extra)
    canon = train_settings.canonical(s)
    assert (canon["init"] == "torch_default" and canon["init_scale"] == 1.0
            and isinstance(canon["init_scale"], float))
    assert train_settings.run_id(s) == train_settings.run_id({**s, "init_scale": 1})   # 1 and 1.0: one run
    assert train_settings.run_id(s) != train_settings.run_id({**s, "init": "kaiming_normal"})
    assert train_settings.run_id(s) != train_settings.run_id({**s, "init_scale": 0.5})
    with pytest.raises(train_settings.SettingError, match="init"):
        train_settings.canonical({k: v for k, v in s.items() if k != "init"})


def test_initial_state_follows_the_setting():
    s = train_settings.canonical(_setting())
    a = loop.initial_state(s, 9)
    b = loop.initial_state({**s, "init": "kaiming_normal"}, 9)
    torch.manual_seed(9)
    ref = [nn.Linear(784, 16), nn.Linear(16, 10)]
    assert (torch.equal(a["layers.0.weight"], ref[0].weight.data)
            and torch.equal(a["layers.1.bias"], ref[1].bias.data))
    # Kaiming-normal with the ReLU gain: ~2.4x the spread of U(±1/sqrt(784)) (sqrt(6) = 2.45).
    ratio = (b["layers.0.weight"].std() / a["layers.0.weight"].std()).item()
    assert ratio == pytest.approx(math.sqrt(6), rel=0.05)


# --- config --------------------------------------------------------------------------------

def _config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_config_default_is_torch_default_and_presets_inherit_it():
    cfg = _config()
    assert cfg["defaults"]["init"] == "torch_default" and cfg["defaults"]["init_scale"] == 1.0
    quick = yaml.safe_load((ROOT / "config" / "quick.yaml").read_text())
    assert "init" not in quick.get("defaults", {}) and "init_scale" not in quick.get("defaults", {})
    assert all(e["setting"]["init"] == "torch_default" for e in grid.artefact_settings(cfg, "table2"))


def _describe(cfg: dict) -> str:
    return lmc_config.describe_schema_error(cfg, ROOT / "config" / "schema.yaml")


BAD = {
    "unknown scheme": (lambda c: c["defaults"].update(init="he_normal"),
                       "config error at defaults.init: 'he_normal' is not one of "
                       "['torch_default', 'kaiming_normal', "),
    "zero scale": (lambda c: c["defaults"].update(init_scale=0),
                   "config error at defaults.init_scale: 0 is less than or equal to the minimum of 0"),
    "negative scale": (lambda c: c["defaults"].update(init_scale=-0.5),
                       "config error at defaults.init_scale: -0.5 is less than or equal to the minimum of 0"),
    "scale as text": (lambda c: c["defaults"].update(init_scale="big"),
                      "config error at defaults.init_scale: 'big' is not of type 'number'"),
    "missing init": (lambda c: c["defaults"].pop("init"),
                     "config error at defaults: 'init' is a required property"),
    "unknown scheme in base": (lambda c: c["artefacts"]["table2"].update(base={"init": "orthogonal"}),
                               "config error at artefacts.table2.base.init: 'orthogonal' is not one of"),
    "bad scale on an axis": (lambda c: c["artefacts"]["table2"]["grid"].append({"init_scale": [1.0, 0.0]}),
                             "config error at artefacts.table2.grid.1.init_scale.1: 0.0 is less than or "
                             "equal to the minimum of 0"),
    "unknown scheme on an axis": (lambda c: c["artefacts"]["table2"]["grid"].append({"init": ["xavier"]}),
                                  "config error at artefacts.table2.grid.1.init.0: 'xavier' is not one of"),
    "unknown scheme in a grid entry": (lambda c: c["artefacts"]["table2"]["grid"][0][0].update(init="he"),
                                       "config error at artefacts.table2.grid.0.0.init: 'he' is not one of"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_schema_rejects_bad_init_with_one_line(case):
    cfg = copy.deepcopy(_config())
    change, expected = BAD[case]
    change(cfg)
    line = _describe(cfg)
    assert "\n" not in line and line.startswith(expected), line


def test_schema_accepts_every_scheme_and_axes():
    import jsonschema

    schema = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())
    cfg = _config()
    for scheme in INIT_SCHEMES:
        jsonschema.validate({**cfg, "defaults": {**cfg["defaults"], "init": scheme, "init_scale": 0.5}},
                            schema)
    axes = copy.deepcopy(cfg)
    axes["artefacts"]["table2"]["grid"].append({"init": ["torch_default", "kaiming_normal"],
                                                "init_scale": [1.0, 2.0]})
    jsonschema.validate(axes, schema)
    assert len(grid.artefact_settings(axes, "table2")) == 4 * len(grid.artefact_settings(cfg, "table2"))


def test_captions_and_titles_name_the_initialisation():
    agg = pd.DataFrame({"cell": [0, 0, 1, 1], "pair": [0, 1, 0, 1], "dataset_title": "MNIST", "epochs": 2,
                        "label": "", "model": "mlp", "init": ["torch_default"] * 2 + ["kaiming_normal"] * 2,
                        "init_scale": [1.0, 1.0, 0.5, 0.5]})
    assert summary.basis(agg) == ("MNIST; 2 pair(s) per setting; 2 epochs; "
                                       "init torch_default, kaiming_normal ×0.5")
    assert names.cell_titles(agg) == {0: "init torch_default, init ×1", 1: "init kaiming_normal, init ×0.5"}
