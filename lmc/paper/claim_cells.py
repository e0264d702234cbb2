"""From an artefact's aggregated barriers to the cells a claim compares: which pairs
trained, which settings belong together, and which cell plays which role.

**Trained.** A pair whose endpoints stay below the dataset's test accuracy floor is
"not trained" (`lmc.paper.trained`), like a diverged pair (`*`), and enters no claim.

**Groups.** A claim names the setting keys it is about ("own" keys: optimizer and lr for
"ADAM > SGD"). The artefact's cells are split by every other key that varies between
them (init, init_scale, width, epochs, ...), and the claim is judged within each group,
so no cell is silently chosen among several. Keys that exist for one optimiser or model
only (momentum, channels, ...) count as own when the optimiser or model is."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import pandas as pd

from lmc.data import datasets
from lmc.paper.trained import untrained
from lmc.paper.verdicts import Cell
from lmc.report.summary import cells as split_cells
from lmc.train.settings import COMMON_KEYS, MODEL_KEYS, OPTIMIZER_KEYS

MODEL_ONLY = tuple(dict.fromkeys(k for keys in MODEL_KEYS.values() for k in keys))
OPTIMIZER_ONLY = tuple(dict.fromkeys(k for keys in OPTIMIZER_KEYS.values() for k in keys))
SETTING_KEYS = COMMON_KEYS + MODEL_ONLY + OPTIMIZER_ONLY + ("shared_init",)

Frame = tuple[pd.Series, pd.DataFrame]        # a setting's first row and all its pairs


def diverged(g: pd.DataFrame) -> bool:
    return bool(g["diverged"].astype(bool).any())


def make_cell(name: str, g: pd.DataFrame, values: Callable[[pd.DataFrame], pd.Series] | str,
              normalised: bool = False) -> Cell:
    """A Cell of a setting's pairs: `values` is a barrier column (fractions) or a function
    of the pairs giving one; `normalised`: the values are divided by the endpoints' mean
    test accuracy (Eq. 2), and so is their measurement error."""
    v = (g[values] if isinstance(values, str) else values(g)).astype(float) * 100
    div, why = diverged(g), untrained(g)
    kept = () if div or why else tuple(float(x) for x in v if math.isfinite(x))
    scale = float(((g["test_acc_a"] + g["test_acc_b"]) / 2).mean()) if normalised else 1.0
    n_eval = datasets.info(str(g["dataset"].iloc[0])).n_test
    return Cell(name, kept, len(g), div, why, n_eval, scale if scale > 0 else 1.0)


def frames(agg: pd.DataFrame, keep: Callable[[pd.Series], bool] = lambda f: True) -> list[Frame]:
    """(first row, pairs) of every setting of `agg` that `keep` accepts, in grid order."""
    return [(g.iloc[0], g) for _, g in split_cells(agg) if keep(g.iloc[0])]


def _text(v: object) -> str:
    if isinstance(v, float):
        return "–" if math.isnan(v) else f"{v:g}"
    return str(v)


def expand(own: Iterable[str]) -> set[str]:
    """`own` plus the keys that exist only for some optimisers (models) when the optimiser
    (model) is own."""
    out = set(own)
    if "optimizer" in out:
        out |= set(OPTIMIZER_ONLY)
    if "model" in out:
        out |= set(MODEL_ONLY)
    return out


def other_axes(agg: pd.DataFrame, own: Iterable[str]) -> list[str]:
    """The setting keys, not among `own` (expanded), that vary between `agg`'s settings."""
    mine = expand(own)
    firsts = pd.DataFrame([f for f, _ in frames(agg)])
    return [k for k in SETTING_KEYS if k in firsts.columns and k not in mine
            and firsts[k].map(_text).nunique() > 1]


def groups(agg: pd.DataFrame, own: Iterable[str]) -> list[tuple[str, pd.DataFrame]]:
    """`agg` split by its other axes: (label, rows), label '' when there is one group,
    else 'init kaiming_normal, init_scale 2'."""
    axes = other_axes(agg, own)
    if not axes:
        return [("", agg)]
    key = agg[axes].apply(lambda r: tuple(_text(v) for v in r), axis=1)
    out = []
    for values in dict.fromkeys(key):          # grid order
        rows = agg[key == values]
        out.append((", ".join(f"{a} {v}" for a, v in zip(axes, values)), rows))
    return out


def ambiguity(found: Sequence[Frame], what: str) -> str | None:
    """None when `found` holds one setting, else why the choice would be a guess."""
    if len(found) < 2:
        return None
    firsts = pd.DataFrame([f for f, _ in found])
    axes = [k for k in SETTING_KEYS if k in firsts.columns and firsts[k].map(_text).nunique() > 1]
    return (f"ambiguous: {len(found)} settings could be {what}, differing in "
            f"{', '.join(axes) or 'nothing the claims know'}; the claim picks none")


def matches(f: pd.Series, other: pd.Series, differ: Iterable[str]) -> bool:
    """Whether two settings agree on every key but `differ` (expanded), where both have it."""
    mine = expand(differ)
    for k in SETTING_KEYS:
        if k in mine or k not in f.index or k not in other.index:
            continue
        a, b = _text(f[k]), _text(other[k])
        if "–" not in (a, b) and a != b:
            return False
    return True


def suffixed(text: str, label: str) -> str:
    """A claim's text with its group's label, where there are several groups."""
    return f"{text} [{label}]" if label else text
