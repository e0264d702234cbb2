"""The statistics behind every table cell and every plotted point: one setting's pairs
summarised as mean ± sample std (in %), with its divergence flag.

One rule everywhere: the std of fewer than two values is undefined (NaN); a table cell
then shows the mean alone and a plot draws no error bar."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Summary:
    mean: float          # NaN when no value is finite
    std: float           # sample std (ddof 1); NaN for fewer than two values
    n: int               # values that entered (NaN values are skipped)


def summarise(values: Iterable[float], scale: float = 100.0) -> Summary:
    """Mean and sample std of `values` times `scale` (default: fractions -> %)."""
    v = pd.Series([float(x) for x in values], dtype=float) * scale
    n = int(v.notna().sum())
    return Summary(float(v.mean()) if n else math.nan, float(v.std(ddof=1)) if n > 1 else math.nan, n)


def cell_text(s: Summary, diverged: bool = False, digits: int = 2) -> str:
    """'1.23 ± 0.45'; the mean alone for one value; '*' where a pair diverged (the
    paper's Table 1 notation); 'n/a' when nothing was measured."""
    if diverged:
        return "*"
    if not s.n:
        return "n/a"
    if s.n == 1:
        return f"{s.mean:.{digits}f}"
    return f"{s.mean:.{digits}f} ± {s.std:.{digits}f}"


def cells(agg: pd.DataFrame) -> list[tuple[int, pd.DataFrame]]:
    """(cell, its pairs) in grid order: `agg` is an artefact's aggregated barriers, one
    row per setting (cell) x pair."""
    ordered = agg.sort_values(["cell", "pair"], kind="stable")
    return [(int(c), g) for c, g in ordered.groupby("cell", sort=True)]


def is_diverged(g: pd.DataFrame) -> bool:
    """Whether any pair of a setting diverged."""
    return bool(g["diverged"].astype(bool).any())


def endpoint_accuracies(g: pd.DataFrame) -> list[float]:
    """Test accuracies of every endpoint of a setting: A and B of each pair, pooled."""
    return list(g["test_acc_a"]) + list(g["test_acc_b"])


def basis(agg: pd.DataFrame) -> str:
    """'Fashion-MNIST; 3 pair(s) per setting; 10 epochs; init torch_default': what the
    numbers stand on (the initialisation too: it moves the barriers)."""
    datasets = ", ".join(dict.fromkeys(agg["dataset_title"]))
    pairs = agg.groupby("cell")["pair"].nunique()
    epochs = sorted(set(int(e) for e in agg["epochs"]))
    p = f"{pairs.min()}" if pairs.min() == pairs.max() else f"{pairs.min()}-{pairs.max()}"
    out = f"{datasets}; {p} pair(s) per setting; {', '.join(str(x) for x in epochs)} epochs"
    if "init" in agg.columns:
        scales = agg["init_scale"] if "init_scale" in agg.columns else pd.Series(1.0, index=agg.index)
        inits = dict.fromkeys(f"{i}{'' if float(s) == 1.0 else f' ×{float(s):g}'}"
                              for i, s in zip(agg["init"], scales))
        if len(inits) <= 3:
            out += f"; init {', '.join(inits)}"
        else:                 # an artefact that varies the initialisation: the table lists them
            out += f"; {agg['init'].nunique()} init schemes × {scales.nunique()} scales"
    return out
