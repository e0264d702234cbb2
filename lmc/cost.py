"""What a config costs to run: training and evaluation FLOPs per setting, summed per
artefact (a run shared by several artefacts is counted once, under the first), and a
GPU-hour estimate at a stated throughput.

    python -m lmc.cost                              # config.yaml
    python -m lmc.cost config.yaml config/quick.yaml   # presets merged over it, as Snakemake does

FLOPs are counted from the architecture's shapes (no model is built): the forward pass of
one sample, times 3 for a training step (forward + backward), times the samples seen.
For an MLP that is the usual 6 * params * samples; a convolution (or its locally
connected twin) costs one multiply-add per weight and output position, and attention
adds the T^2 * D score and mixing products, which a parameter count does not see.
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import yaml

from . import artefacts, datasets, grid

# Assumed sustained throughput of one data-centre GPU (A100/H100 class) on these small fp32
# models: ~20 TFLOP/s (about a third of an H100's 67 TFLOP/s fp32 peak), plus a floor of
# 1 ms per optimisation step of a stacked pair (kernel launches dominate small MLPs).
ASSUMED_FLOPS = 20e12
STEP_OVERHEAD_S = 1e-3
MEMBERS = 2


def forward_flops(setting: Mapping[str, Any]) -> int:
    """FLOPs (2 per multiply-add) of one sample's forward pass; biases, norms and
    activations are ignored (they are lower order)."""
    meta = datasets.info(setting["dataset"])
    c, h, w = meta.shape
    k = meta.classes
    model = setting["model"]
    if model in ("linear", "mlp"):
        sizes = [c * h * w] + [setting["width"]] * (setting["depth"] - 1) + [k]
        return 2 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    if model in ("cnn", "lcn"):
        q = setting["kernel"]
        positions = (h // q) * (w // q)
        hidden = setting["channels"] * positions
        return 2 * hidden * c * q * q + 2 * hidden * k
    if model == "vit":
        p = setting["patch"]
        n = (h // p) * (w // p)
        t = n + 1
        d = setting["heads"] * setting["head_dim"]
        return 2 * (n * c * p * p * d          # patch embedding
                    + t * d * 3 * d            # q, k, v
                    + 2 * t * t * d            # q k^T and attention @ v, all heads
                    + t * d * d                # output projection
                    + d * k)                   # classifier on the class token
    raise ValueError(f"unknown model {model!r}")


def setting_cost(setting: Mapping[str, Any], pairs: int, points: int) -> dict[str, float]:
    """FLOPs and GPU seconds of `pairs` pairs of one setting: training both members
    (plus their per-epoch test evaluation) and the `points`-point path on both splits."""
    meta = datasets.info(setting["dataset"])
    fwd = forward_flops(setting)
    epochs = setting["epochs"]
    train = 3 * fwd * meta.n_train * epochs * MEMBERS + fwd * meta.n_test * epochs * MEMBERS
    evaluate = fwd * (meta.n_train + meta.n_test) * points
    steps = math.ceil(meta.n_train / setting["batch_size"]) * epochs
    flops = pairs * (train + evaluate)
    seconds = flops / ASSUMED_FLOPS + pairs * steps * STEP_OVERHEAD_S
    return {"forward_flops": fwd, "train_flops": pairs * train, "eval_flops": pairs * evaluate,
            "steps": pairs * steps, "gpu_seconds": seconds}


def layer_count(setting: Mapping[str, Any]) -> int:
    """Layers of the layer-wise analysis (lmc.layerwise.layer_groups), from a model built on
    the meta device (no memory, no random draws)."""
    import torch

    from .layerwise import layer_groups
    from .models import build_model

    meta = datasets.info(setting["dataset"])
    with torch.device("meta"):
        model = build_model(setting, meta.shape, meta.classes)
    return len(layer_groups(model.state_dict()))


def analysis_cost(setting: Mapping[str, Any], analysis: str, pairs: int, config: Mapping[str, Any]) -> float:
    """Evaluation FLOPs of one analysis (rules/analyses.smk) over `pairs` pairs: every
    network it evaluates, forward on both whole splits. Weight matching itself (a few
    linear assignment problems on the CPU) is negligible beside that."""
    meta = datasets.info(setting["dataset"])
    per_network = forward_flops(setting) * (meta.n_train + meta.n_test)
    if analysis == "align":
        networks = len(config["alphas"])                       # the aligned path
        if config["analysis"]["align"]["method"] == "activation":
            networks += 2 * meta.n_train / (meta.n_train + meta.n_test)   # A and B on the train set
    elif analysis == "layerwise":
        networks = 2 + 4 * layer_count(setting)       # A, B; per layer single / cumulative, in A and B
    elif analysis == "plane":
        nx, ny = config["analysis"]["plane"]["grid"]
        networks = nx * ny
    else:
        raise ValueError(f"unknown analysis {analysis!r}")
    return pairs * networks * per_network


def cost_table(config: Mapping[str, Any]) -> pd.DataFrame:
    """One row per artefact: new settings (not already counted under an earlier artefact),
    pairs, PFLOPs (training, the path, the analyses) and GPU hours; and a total row. An
    analysis of a setting shared by several artefacts is counted once, like its training."""
    seen: set[str] = set()
    analysed: set[tuple[str, str]] = set()
    rows = []
    points = len(config["alphas"])
    for artefact in artefacts.trained(grid.built_artefacts(config)):
        entries = grid.artefact_settings(config, artefact)
        new = [e for e in {e["run_id"]: e for e in entries}.values() if e["run_id"] not in seen]
        seen.update(e["run_id"] for e in new)
        costs = [setting_cost(e["setting"], config["pairs"], points) for e in new]
        extra = 0.0
        for e in entries:
            for analysis in e.get("analyses", []):
                if (e["run_id"], analysis) not in analysed:
                    analysed.add((e["run_id"], analysis))
                    extra += analysis_cost(e["setting"], analysis, config["pairs"], config)
        rows.append({"artefact": artefact, "settings": len(entries), "new_settings": len(new),
                     "pairs": len(new) * config["pairs"],
                     "train_pflop": sum(c["train_flops"] for c in costs) / 1e15,
                     "eval_pflop": sum(c["eval_flops"] for c in costs) / 1e15,
                     "analyses_pflop": extra / 1e15,
                     "gpu_hours": (sum(c["gpu_seconds"] for c in costs) + extra / ASSUMED_FLOPS) / 3600})
    table = pd.DataFrame(rows)
    total = {"artefact": "total", **{c: table[c].sum() for c in table.columns if c != "artefact"}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def load(paths: Sequence[str]) -> dict[str, Any]:
    """config.yaml and presets merged the way Snakemake merges --configfile."""
    def merge(base: dict, over: Mapping) -> None:
        for key, value in over.items():
            if isinstance(value, Mapping) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value

    config: dict[str, Any] = {}
    for p in paths:
        with open(p) as f:
            merge(config, yaml.safe_load(f))
    return config


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=["config.yaml"], help="config.yaml, then presets")
    args = parser.parse_args(argv)
    table = cost_table(load(args.configs))
    with pd.option_context("display.float_format", "{:,.3g}".format, "display.width", 120):
        print(table.to_string(index=False))
    print(f"\nassumed: {ASSUMED_FLOPS / 1e12:.0f} TFLOP/s sustained, "
          f"{STEP_OVERHEAD_S * 1e3:.0f} ms per step of a pair")


if __name__ == "__main__":
    main()
