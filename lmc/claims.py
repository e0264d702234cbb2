"""The paper's qualitative claims, checked against the configured artefacts' results.

Each claim is tested on the test error barrier (Eq. 1, in %) of the cells it names, with
a rule that never guesses: a comparison "X > Y" is *supported* when the whole 95 %
confidence interval of the difference of the means lies above zero (Welch's t over
pairs: few pairs give wide intervals), *not supported* when it lies below zero (the
opposite holds), and *not testable at this scale* when the interval straddles zero, when
a cell has fewer than two pairs (no spread), when a cell diverged, or when the config
lacks the cells. A threshold claim "B < 2 %" (the paper's threshold for linear
connectivity) works the same way with each cell's interval against the threshold."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from .layout import Table
from .names import as_int, model_title, opt_lr
from .summary import cells, is_diverged, provenance, summarise

SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE = "supported", "not supported", "not testable at this scale"
THRESHOLD = 2.0        # % test error barrier below which the paper calls a pair linearly connected
METRIC = "test_error_barrier"
# Dataset complexity order of the paper's Figure 3.
COMPLEXITY = ("mnist", "fashion_mnist", "cifar10", "cifar100", "tiny_imagenet")


@dataclass(frozen=True)
class Cell:
    """One setting's test error barrier over its pairs, in %."""
    name: str
    mean: float
    std: float
    pairs: int
    diverged: bool

    @property
    def se(self) -> float:
        return self.std / math.sqrt(self.pairs) if self.pairs > 1 else math.nan

    @property
    def half_width(self) -> float:
        """Half-width of the 95 % confidence interval of the mean (Student's t, n - 1 dof)."""
        return float(stats.t.ppf(0.975, self.pairs - 1)) * self.se if self.pairs > 1 else math.nan

    def text(self) -> str:
        if self.diverged:
            return f"{self.name}: diverged"
        spread = f" ± {self.std:.2f}" if self.pairs > 1 else ""
        return f"{self.name}: {self.mean:.2f}{spread} ({self.pairs} pair{'s' if self.pairs != 1 else ''})"


@dataclass(frozen=True)
class Verdict:
    claim: str
    source: str                  # the artefact(s) whose cells were used
    cells: tuple[Cell, ...]
    verdict: str
    reason: str


def _cell(name: str, g: pd.DataFrame) -> Cell:
    s = summarise(g[METRIC])
    return Cell(name, s.mean, s.std, s.n, is_diverged(g))


def _untestable(cs: Sequence[Cell]) -> str | None:
    for c in cs:
        if c.diverged:
            return f"{c.name} diverged"
        if c.pairs < 2:
            return f"{c.name} has {c.pairs} pair: no spread to judge a difference by (set pairs ≥ 2)"
    return None


def greater(claim: str, source: str, big: Cell, small: Cell) -> Verdict:
    """Verdict on 'big's barrier exceeds small's'."""
    why = _untestable((big, small))
    if why:
        return Verdict(claim, source, (big, small), NOT_TESTABLE, why)
    diff, half = big.mean - small.mean, _welch_half_width(big, small)
    detail = f"difference {diff:+.2f} %, 95 % interval ±{half:.2f} %"
    if diff > half:
        return Verdict(claim, source, (big, small), SUPPORTED, detail)
    if diff < -half:
        return Verdict(claim, source, (big, small), NOT_SUPPORTED, f"{detail}: the opposite holds")
    return Verdict(claim, source, (big, small), NOT_TESTABLE, f"{detail}: within the spread over pairs")


def _welch_half_width(a: Cell, b: Cell) -> float:
    """Half-width of the 95 % confidence interval of a.mean - b.mean (Welch's t)."""
    va, vb = a.se ** 2, b.se ** 2
    if va + vb == 0:
        return 0.0
    dof = (va + vb) ** 2 / (va ** 2 / (a.pairs - 1) + vb ** 2 / (b.pairs - 1))
    return float(stats.t.ppf(0.975, dof)) * math.sqrt(va + vb)


def below_threshold(claim: str, source: str, cs: Sequence[Cell]) -> Verdict:
    """Verdict on 'every cell's barrier is below THRESHOLD %'."""
    why = _untestable(cs)
    if why:
        return Verdict(claim, source, tuple(cs), NOT_TESTABLE, why)
    above = [c for c in cs if c.mean - c.half_width > THRESHOLD]
    unsure = [c for c in cs if c.mean + c.half_width >= THRESHOLD and c not in above]
    if above:
        return Verdict(claim, source, tuple(cs), NOT_SUPPORTED,
                       f"{', '.join(c.name for c in above)} above {THRESHOLD:g} % beyond its 95 % interval")
    if unsure:
        return Verdict(claim, source, tuple(cs), NOT_TESTABLE,
                       f"the 95 % interval of {', '.join(c.name for c in unsure)} reaches {THRESHOLD:g} %")
    return Verdict(claim, source, tuple(cs), SUPPORTED,
                   f"every cell's 95 % interval is below {THRESHOLD:g} %")


def missing(claim: str, source: str, what: str) -> Verdict:
    return Verdict(claim, source, (), NOT_TESTABLE, f"the config has no {what}")


# --- the claims --------------------------------------------------------------------------------

def _groups(agg: pd.DataFrame, keep: Callable[[pd.Series], bool]) -> list[tuple[pd.Series, pd.DataFrame]]:
    return [(g.iloc[0], g) for _, g in cells(agg) if keep(g.iloc[0])]


def _warm(f: pd.Series) -> bool:
    return float(f["warmup_fraction"]) > 0


def _highest_lr(agg: pd.DataFrame, optimizer: str, warm: bool) -> tuple[pd.Series, pd.DataFrame] | None:
    """The setting of `optimizer` (with or without warm-up) at its highest learning rate."""
    found = _groups(agg, lambda f: f["optimizer"] == optimizer and _warm(f) == warm)
    return max(found, key=lambda fg: float(fg[0]["lr"])) if found else None


def _name(f: pd.Series, warm: bool) -> str:
    return f"{opt_lr(f)}{' + W-up' if warm else ''}"


def logistic_regression(table1: pd.DataFrame | None) -> list[Verdict]:
    claim = (f"Logistic regression (1-layer linear) is linearly connected: B_test < {THRESHOLD:g} % "
             "(§3, Table 1)")
    if table1 is None:
        return [missing(claim, "Table 1", "Table 1")]
    found = _groups(table1, lambda f: as_int(f["depth"]) == 1)
    if not found:
        return [missing(claim, "Table 1", "1-layer rows in Table 1")]
    cs = [_cell(f"L=1, BS={as_int(f['batch_size'])}, {opt_lr(f)}", g) for f, g in found]
    return [below_threshold(claim, "Table 1", cs)]


def table2_claims(table2: pd.DataFrame | None) -> list[Verdict]:
    texts = {
        "sgd": f"The minimal model trained with SGD at a high learning rate is linearly connected: "
               f"B_test < {THRESHOLD:g} % (Table 2)",
        "adam": "ADAM at a high learning rate breaks LMC more than SGD at a high learning rate (Table 2)",
        "warmup": "Learning-rate warm-up reduces the barrier of ADAM at a high learning rate (Table 2)",
    }
    if table2 is None:
        return [missing(t, "Table 2", "Table 2") for t in texts.values()]
    sgd, adam, adam_warm = (_highest_lr(table2, "sgd", False), _highest_lr(table2, "adam", False),
                            _highest_lr(table2, "adam", True))
    cell = {k: _cell(_name(v[0], k == "adam_warm"), v[1]) for k, v in
            (("sgd", sgd), ("adam", adam), ("adam_warm", adam_warm)) if v is not None}
    out = [below_threshold(texts["sgd"], "Table 2", [cell["sgd"]]) if "sgd" in cell
           else missing(texts["sgd"], "Table 2", "SGD setting without warm-up in Table 2")]
    out.append(greater(texts["adam"], "Table 2", cell["adam"], cell["sgd"]) if {"adam", "sgd"} <= set(cell)
               else missing(texts["adam"], "Table 2", "ADAM and SGD settings without warm-up in Table 2"))
    out.append(greater(texts["warmup"], "Table 2", cell["adam"], cell["adam_warm"])
               if {"adam", "adam_warm"} <= set(cell)
               else missing(texts["warmup"], "Table 2", "ADAM setting with and without warm-up at one rate"))
    return out


def weight_sharing(figure2: pd.DataFrame | None) -> list[Verdict]:
    claim = "Weight sharing hurts LMC more than locality: B_test(CNN) > B_test(LC-CNN)"
    if figure2 is None:
        return [missing(claim + " (Figure 2)", "Figure 2", "Figure 2")]
    out = []
    by_lr: dict[tuple, dict[str, tuple[pd.Series, pd.DataFrame]]] = {}
    for f, g in _groups(figure2, lambda f: f["model"] in ("cnn", "lcn")):
        by_lr.setdefault((f["optimizer"], float(f["lr"])), {})[f["model"]] = (f, g)
    for models in by_lr.values():
        if {"cnn", "lcn"} <= set(models):
            (fc, gc), (fl, gl) = models["cnn"], models["lcn"]
            out.append(greater(f"{claim}, {opt_lr(fc)} (Figure 2)", "Figure 2",
                               _cell(f"{model_title(fc)} {opt_lr(fc)}", gc),
                               _cell(f"{model_title(fl)} {opt_lr(fl)}", gl)))
    return out or [missing(claim + " (Figure 2)", "Figure 2",
                           "CNN and LC-CNN at one learning rate in Figure 2")]


def dataset_complexity(figure3: pd.DataFrame | None) -> list[Verdict]:
    claim = ("Normalised barriers (Eq. 2) grow with dataset complexity, MNIST < CIFAR-10 < CIFAR-100 < "
             "Tiny-ImageNet (Figure 3)")
    if figure3 is None:
        return [missing(claim, "Figure 3", "Figure 3")]
    norm = figure3.assign(**{METRIC: figure3["test_normalised_barrier"]})
    by_shape: dict[tuple, list[tuple[pd.Series, pd.DataFrame]]] = {}
    for f, g in _groups(norm, lambda f: True):
        by_shape.setdefault((as_int(f["depth"]), f["optimizer"], float(f["lr"])), []).append((f, g))
    out = []
    for (depth, _, _), found in by_shape.items():
        found = sorted(found, key=lambda fg: COMPLEXITY.index(fg[0]["dataset"]))
        if len(found) < 2:
            continue
        # each step up in complexity: "the harder dataset's barrier exceeds the easier one's"
        steps = [greater(claim, "Figure 3", _cell(str(fb["dataset_title"]), gb),
                         _cell(str(fa["dataset_title"]), ga))
                 for (fa, ga), (fb, gb) in zip(found[:-1], found[1:])]
        worst = next((v for v in steps if v.verdict == NOT_SUPPORTED), None) or \
            next((v for v in steps if v.verdict == NOT_TESTABLE), None)
        cs = tuple(_cell(str(f["dataset_title"]), g) for f, g in found)
        name = f"{claim}: {depth}-layer, {opt_lr(found[0][0])}"
        if worst is None:
            out.append(Verdict(name, "Figure 3", cs, SUPPORTED,
                               "every step up in complexity raises B̄ beyond its 95 % interval"))
        else:
            easier, harder = worst.cells[1], worst.cells[0]
            step = f"{easier.name} → {harder.name}: {worst.reason}"
            out.append(Verdict(name, "Figure 3", cs, worst.verdict, step))
    return out or [missing(claim, "Figure 3",
                           "two or more datasets at one depth and learning rate in Figure 3")]


def check_claims(barriers: Mapping[str, pd.DataFrame]) -> list[Verdict]:
    """Every claim, from the aggregated barriers of the artefacts present (artefact ->
    its barriers table; absent artefacts make their claims 'not testable')."""
    return (logistic_regression(barriers.get("table1")) + table2_claims(barriers.get("table2"))
            + weight_sharing(barriers.get("figure2")) + dataset_complexity(barriers.get("figure3")))


def claims_table(barriers: Mapping[str, pd.DataFrame]) -> Table:
    """The claims as a rendered table: claim, verdict, why, the cells it used."""
    verdicts = check_claims(barriers)
    rows = [[v.claim, v.verdict, v.reason, "; ".join(c.text() for c in v.cells) or "–"] for v in verdicts]
    none = (Cell("", math.nan, math.nan, 0, False),)       # a claim without cells still gets its row
    numbers = pd.DataFrame([{"claim": v.claim, "source": v.source, "verdict": v.verdict, "reason": v.reason,
                             "cell": c.name, "mean": c.mean, "std": c.std, "pairs": c.pairs,
                             "diverged": c.diverged}
                            for v in verdicts for c in (v.cells or none)])
    stands = "; ".join(f"{k}: {provenance(agg)}" for k, agg in barriers.items())
    caption = ("The paper's qualitative claims checked against this run's results (test error barrier, "
               "Eq. 1, in %, mean ± std over pairs; Figure 3: normalised barrier, Eq. 2). "
               f"{stands or 'No results'}.")
    notes = [f"'{SUPPORTED}': the 95 % confidence interval of the claimed difference (Welch's t over pairs) "
             f"lies on the claimed side of zero (for a threshold: every cell's interval is below it); "
             f"'{NOT_SUPPORTED}': it lies on the other side; "
             f"'{NOT_TESTABLE}': within the spread, fewer than two pairs, a diverged cell, or cells the "
             "config does not have. Small presets (few epochs, few pairs) say little about the paper's "
             "200-epoch claims."]
    return Table("Claims", caption, ["claim", "verdict", "why", "cells used"], rows, numbers, notes)
