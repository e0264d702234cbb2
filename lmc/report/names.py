"""Display names: how the paper names models, optimisers, learning rates, batch sizes
and settings. Tables, plots and the report all name things through this module."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from lmc.report.summary import cells

MODEL_TITLES = {"linear": "Linear", "mlp": "MLP", "lcn": "LC-CNN", "cnn": "CNN", "vit": "ViT-like"}
OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "ADAM"}
# The paper's learning-rate names (§4 "Training strategy", Figure 2, Table 4).
LR_NAMES = {("sgd", 0.1): "High", ("sgd", 0.01): "Med", ("sgd", 0.001): "Low",
            ("adam", 0.005): "High", ("adam", 0.001): "Med"}
MODEL_PHRASES = {"mlp": "a dense layer (MLP)", "lcn": "a locally connected layer (LC-CNN)",
                 "cnn": "a convolution (CNN)", "vit": "a single attention layer (ViT-like)",
                 "linear": "linear"}


def as_int(v: Any) -> int:
    """An integer setting value read back from a CSV (where it may be a float)."""
    return int(float(v))


def is_missing(v: Any) -> bool:
    """A setting column that does not apply to this row's model (NaN in the CSV)."""
    return isinstance(v, float) and math.isnan(v)


def optimizer_title(optimizer: str) -> str:
    return OPTIMIZER_TITLES.get(optimizer, optimizer)


def model_title(f: pd.Series) -> str:
    return MODEL_TITLES.get(f["model"], str(f["model"]))


def lr_name(optimizer: str, lr: float) -> str | None:
    """'High', 'Med' or 'Low' for the paper's named rates, else None."""
    return LR_NAMES.get((optimizer, round(float(lr), 12)))


def lr_title(optimizer: str, lr: float) -> str:
    """'High Lr (0.1)' for the paper's named rates, else 'Lr 0.03'."""
    name = lr_name(optimizer, lr)
    return f"{name} Lr ({float(lr):g})" if name else f"Lr {float(lr):g}"


def opt_lr(f: pd.Series) -> str:
    """'SGD High Lr (0.1)' for a setting row."""
    return f"{optimizer_title(f['optimizer'])} {lr_title(f['optimizer'], f['lr'])}"


def depth_lr(f: pd.Series, with_optimizer: bool = False) -> str:
    """'2-Layer High (0.1)' (Figure 3 / Table 4 columns)."""
    name = lr_name(f["optimizer"], f["lr"])
    lr = f"{name} ({float(f['lr']):g})" if name else f"Lr {float(f['lr']):g}"
    opt = f"{optimizer_title(f['optimizer'])} " if with_optimizer else ""
    return f"{as_int(f['depth'])}-Layer {opt}{lr}"


def batch_title(bs: float) -> str:
    """'30K' for 30000, '1024' for 1024."""
    bs = int(bs)
    return f"{bs // 1000}K" if bs >= 10000 and bs % 1000 == 0 else str(bs)


def join(items: Sequence[str], last: str = " or ") -> str:
    """'a', 'a or b', 'a, b or c'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def models_phrase(agg: pd.DataFrame) -> str:
    """'a dense layer (MLP), a convolution (CNN) or ...': the models present, in grid order."""
    return join([MODEL_PHRASES.get(m, str(m)) for m in dict.fromkeys(agg.sort_values("cell")["model"])])


def lrs_phrase(agg: pd.DataFrame) -> str:
    """'SGD at High Lr (0.1) and Low Lr (0.001)': the rates present, in grid order."""
    by_opt: dict[str, list[str]] = {}
    for _, g in cells(agg):
        f = g.iloc[0]
        titles = by_opt.setdefault(f["optimizer"], [])
        t = lr_title(f["optimizer"], f["lr"])
        if t not in titles:
            titles.append(t)
    return "; ".join(f"{optimizer_title(o)} at {join(ts, ' and ')}" for o, ts in by_opt.items())


def config_label(g: pd.DataFrame) -> str:
    """The config's label of a setting's grid entry ('' when it has none)."""
    v = g["label"].iloc[0] if "label" in g.columns else ""
    return v if isinstance(v, str) else ""


def setup_name(g: pd.DataFrame) -> str:
    """The optimisation setup of a setting: its config label, else 'SGD High Lr (0.1)' (+ W-up)."""
    f = g.iloc[0]
    return config_label(g) or opt_lr(f) + (" + W-up" if float(f["warmup_fraction"]) > 0 else "")


def cell_titles(agg: pd.DataFrame) -> dict[int, str]:
    """A short name per setting for panels: the config's label where there is one, else
    what varies between the artefact's settings ('MLP, SGD 0.1', '4-Layer, p=0.5')."""
    groups = dict(cells(agg))
    frame = pd.DataFrame([g.iloc[0] for g in groups.values()])

    def varies(col: str) -> bool:
        return col in frame.columns and frame[col].astype(str).nunique() > 1

    out = {}
    for c, g in groups.items():
        f = g.iloc[0]
        label = config_label(g)
        if label:
            out[c] = label
            continue
        parts = []
        if varies("dataset"):
            parts.append(str(f["dataset_title"]))
        if varies("model"):
            parts.append(model_title(f))
        if varies("depth") and not is_missing(f["depth"]):
            parts.append(f"{as_int(f['depth'])}-Layer")
        if varies("batch_size"):
            parts.append(f"BS={batch_title(f['batch_size'])}")
        if varies("slope") and not is_missing(f["slope"]):
            parts.append(f"p={float(f['slope']):g}")
        if varies("optimizer") or varies("lr"):
            parts.append(f"{optimizer_title(f['optimizer'])} {float(f['lr']):g}")
        if varies("warmup_fraction") and float(f["warmup_fraction"]) > 0:
            parts.append("W-up")
        if varies("init"):
            parts.append(f"init {f['init']}")
        if varies("init_scale"):
            parts.append(f"init ×{float(f['init_scale']):g}")
        out[c] = ", ".join(parts) or f"setting {c}"
    return out
