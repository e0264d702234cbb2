"""Every number the paper prints beside this project's result for the same setting, with
a verdict that respects the number's scale (the `paper_comparison` artefact).

A paper value (`lmc.paper.printed_values`) is joined to the project's cells by the setting keys
it carries (dataset, model, depth, batch size, optimiser, learning rate, warm-up, ...),
never by labels, in the artefacts that hold its cells (`PROJECT_ARTEFACTS`; Table 4 is
the accuracies of the Figure 3 runs). Every printed cell gets a row: one per matching
project cell (an `init` axis, say, gives several), or one "not run" row that names the
closest cell the config has and how it differs. Nothing is dropped for disagreeing.

Verdicts:
- error barriers: "agree" when the paper's value and every pair of the project's cell
  lie on the same side of the paper's LMC threshold (§2: B < 2 %), "disagree" when all
  pairs lie on the other side; "pairs straddle 2 %" when the project's pairs fall on
  both sides (the paper defines LMC per pair of runs, and one number per cell cannot
  say which side a split cell is on). "not trained here" when an endpoint is below the
  dataset's accuracy floor (lmc.paper.trained, the claims' test): a network that did not
  learn has no barrier to speak of, and B ≈ 0 must not read as "connected".
- accuracies: "agree" within ACCURACY_TOLERANCE percentage points.
- parameter counts: "agree" when the count rounds to the printed value at its printed
  precision.
- bounds printed in the text (Table 1's caption: test accuracy above 90 %, train cross
  entropy between 0.2 and 0.3): "agree" when every project cell the bound covers (those
  the paper does not mark `*`, and that did not diverge here) satisfies it.
- `*` cells: "both diverged", "diverged here only", "diverged in paper only".
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lmc.paper.printed_values import KEY_TYPES, PaperValue, lmc_threshold_percent, paper_epochs
from lmc.paper.trained import untrained
from lmc.report.names import cell_titles, is_missing
from lmc.report.summary import cells, endpoint_accuracies, is_diverged, summarise

AGREE, DISAGREE, STRADDLES = "agree", "disagree", "pairs straddle 2 %"
BOTH_DIVERGED, DIVERGED_HERE, DIVERGED_PAPER = "both diverged", "diverged here only", "diverged in paper only"
NOT_TRAINED, NOT_RUN = "not trained here", "not run"
VERDICTS = (AGREE, DISAGREE, STRADDLES, BOTH_DIVERGED, DIVERGED_HERE, DIVERGED_PAPER, NOT_TRAINED, NOT_RUN)
# Accuracies agree within 1 percentage point: the paper prints one number per cell with
# no spread; endpoints of one setting differ by a few tenths of a point on MNIST and by
# about a point on CIFAR-scale MLPs, and 1 point is below every gap the paper reads in
# Table 4 (datasets differ by 40-90 points).
ACCURACY_TOLERANCE = 1.0
# The project artefacts whose cells a paper artefact prints.
PROJECT_ARTEFACTS: dict[str, tuple[str, ...]] = {
    "table1": ("table1",), "table2": ("table2",), "table3": ("table3",), "table4": ("table4", "figure3")}
COMPARED_METRICS = ("error_barrier", "test_accuracy", "train_loss", "parameters")


@dataclass(frozen=True)
class Match:
    """A project cell (one setting of one artefact, its pairs `g`) that a paper value names."""
    artefact: str
    name: str
    g: pd.DataFrame

    @property
    def run_id(self) -> str:
        return str(self.g["run_id"].iloc[0]) if "run_id" in self.g.columns else ""


def sources() -> tuple[str, ...]:
    """Every project artefact the comparison may read (lmc.config.artefacts' `sources`)."""
    return tuple(dict.fromkeys(a for arts in PROJECT_ARTEFACTS.values() for a in arts))


def _matches_key(row: pd.Series, key: str, want: Any) -> bool:
    if key not in row.index or is_missing(row[key]):
        return False
    kind = KEY_TYPES[key]
    if kind is str:
        return str(row[key]) == want
    if kind is int:
        return int(float(row[key])) == want
    return math.isclose(float(row[key]), want, rel_tol=1e-9, abs_tol=1e-12)


def mismatches(value: PaperValue, row: pd.Series) -> list[str]:
    """The keys of `value` a project setting row differs in, as 'key here ≠ paper'."""
    out = []
    for key, want in value.keys.items():
        if not _matches_key(row, key, want):
            here = row[key] if key in row.index and not is_missing(row[key]) else "unset"
            out.append(f"{key} {here} ≠ {want}")
    return out


def _groups(artefact: str, frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(name, rows) of each project cell of an artefact: settings of a trained one, models
    and shapes of Table 3's counts."""
    if "cell" in frame.columns:
        titles = cell_titles(frame)
        return [(titles[c], g) for c, g in cells(frame)]
    return [(f"{r['model']}, {r['dataset']}", frame.loc[[i]]) for i, r in frame.iterrows()]


def find(value: PaperValue, results: Mapping[str, pd.DataFrame]) -> tuple[list[Match], str]:
    """The project cells `value` names (distinct run ids, artefact order), and, when there
    are none, why: the artefacts missing, or the closest cell and how it differs."""
    arts = PROJECT_ARTEFACTS.get(value.artefact, ())
    found: list[Match] = []
    seen: set[str] = set()
    closest: tuple[int, str] | None = None
    for art in arts:
        if art not in results:
            continue
        for name, g in _groups(art, results[art]):
            diff = mismatches(value, g.iloc[0])
            if not diff:
                m = Match(art, name, g)
                if not m.run_id or m.run_id not in seen:
                    found.append(m)
                    seen.add(m.run_id)
            elif closest is None or len(diff) < closest[0]:
                closest = (len(diff), f"closest: {art} '{name}' ({'; '.join(diff)})")
    if found:
        return found, ""
    if not any(a in results for a in arts):
        return [], f"{' / '.join(arts) or 'no artefact'} not in this config"
    return [], closest[1] if closest else "no cell"


# --- verdicts ---------------------------------------------------------------------------------

def _divergence(value: PaperValue, diverged: bool) -> str | None:
    if value.starred:
        return BOTH_DIVERGED if diverged else DIVERGED_PAPER
    return DIVERGED_HERE if diverged else None


def barrier_verdict(value: PaperValue, g: pd.DataFrame, threshold: float) -> tuple[str, str]:
    """(verdict, detail) of an error-barrier cell: the paper's side of the threshold
    against each pair's side."""
    div = _divergence(value, is_diverged(g))
    if div:
        return div, ""
    why = untrained(g)
    if why:
        return NOT_TRAINED, why
    pairs = (g[f"{value.split}_error_barrier"] * 100).tolist()
    below = [b < threshold for b in pairs]
    paper_below = value.value < threshold
    side = "below" if paper_below else "at or above"
    if all(below) or not any(below):
        agree = below[0] == paper_below
        here = "every pair" + (" below" if below[0] else " at or above")
        return (AGREE if agree else DISAGREE), f"paper {side} {threshold:g} %, {here}"
    n = sum(below)
    return STRADDLES, f"{n} of {len(pairs)} pairs below {threshold:g} %, paper {side}"


def accuracy_verdict(value: PaperValue, g: pd.DataFrame) -> tuple[str, str]:
    div = _divergence(value, is_diverged(g))
    if div:
        return div, ""
    acc = summarise(endpoint_accuracies(g))
    ok = abs(acc.mean - value.value) <= ACCURACY_TOLERANCE
    return (AGREE if ok else DISAGREE), f"within ±{ACCURACY_TOLERANCE:g} points" if ok else (
        f"more than {ACCURACY_TOLERANCE:g} points apart")


def parameters_verdict(value: PaperValue, count: int) -> tuple[str, str]:
    shown = round(count / 1e6, value.decimals)
    ok = math.isclose(shown, value.value, abs_tol=1e-9)
    return (AGREE if ok else DISAGREE), f"{count:,} parameters = {shown:.{value.decimals}f}M"


def bound_verdict(value: PaperValue, per_cell: Sequence[tuple[str, float]]) -> tuple[str, str, float]:
    """(verdict, detail, the extreme) of a bound over cells: '>' judges the lowest cell,
    '<' the highest."""
    pick = min if value.relation == ">" else max
    name, extreme = pick(per_cell, key=lambda t: t[1])
    ok = extreme > value.value if value.relation == ">" else extreme < value.value
    word = "lowest" if value.relation == ">" else "highest"
    return (AGREE if ok else DISAGREE), f"{word} of {len(per_cell)} cells: {name}", extreme


# --- rows -------------------------------------------------------------------------------------

def _base(value: PaperValue, epochs: int) -> dict[str, Any]:
    return {"id": value.id, "source": value.source, "section": value.section, "row": value.row,
            "column": value.column, "split": value.split, "metric": value.metric, "unit": value.unit,
            "relation": value.relation, "paper": value.printed, "paper_value": value.value,
            **{k: value.keys.get(k, "") for k in KEY_TYPES},
            "project_artefact": "", "project_cell": "", "run_id": "", "mean": math.nan, "std": math.nan,
            "pairs": 0, "diverged": False, "epochs": math.nan,
            "paper_epochs": epochs if value.metric != "parameters" else math.nan,
            "difference": math.nan, "verdict": NOT_RUN, "detail": ""}


def _cell_row(value: PaperValue, m: Match, threshold: float, epochs: int) -> dict[str, Any]:
    row = _base(value, epochs)
    g = m.g
    row.update(project_artefact=m.artefact, project_cell=m.name, run_id=m.run_id)
    if value.metric == "parameters":
        count = int(g["parameters"].iloc[0])
        row.update(mean=count / 1e6, pairs=math.nan)
        row["verdict"], row["detail"] = parameters_verdict(value, count)
    else:
        stat = (summarise(g[f"{value.split}_error_barrier"]) if value.metric == "error_barrier"
                else summarise(endpoint_accuracies(g)))
        row.update(mean=stat.mean, std=stat.std, pairs=int(g["pair"].nunique()), diverged=is_diverged(g),
                   epochs=int(g["epochs"].iloc[0]))
        if value.metric == "error_barrier":
            row["verdict"], row["detail"] = barrier_verdict(value, g, threshold)
        else:
            row["verdict"], row["detail"] = accuracy_verdict(value, g)
    if not value.starred and not row["diverged"]:
        row["difference"] = row["mean"] - value.value
    return row


def _bound_row(value: PaperValue, found: Sequence[Match], starred: Sequence[PaperValue],
               epochs: int) -> dict[str, Any]:
    """A bound the paper states over many cells (Table 1's caption): judged on the cells
    it covers, i.e. not `*` in the paper (the caption's exception) and not diverged here
    (reported on their own rows)."""
    row = _base(value, epochs)
    covered = [m for m in found if not is_diverged(m.g)
               and not any(not mismatches(s, m.g.iloc[0]) for s in starred)]
    if not covered:
        row["detail"] = "no cell it covers was run" if found else ""
        return row
    per_cell = []
    for m in covered:
        if value.metric == "test_accuracy":
            per_cell.append((m.name, summarise(endpoint_accuracies(m.g)).mean))
        else:
            losses = list(m.g["final_train_loss_a"]) + list(m.g["final_train_loss_b"])
            per_cell.append((m.name, summarise(losses, scale=1.0).mean))
    verdict, detail, extreme = bound_verdict(value, per_cell)
    row.update(project_artefact=covered[0].artefact, project_cell=f"{len(covered)} cells", mean=extreme,
               pairs=min(int(m.g["pair"].nunique()) for m in covered),
               epochs=min(int(m.g["epochs"].iloc[0]) for m in covered), verdict=verdict, detail=detail,
               difference=extreme - value.value)
    return row


def compare(values: Sequence[PaperValue], results: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (paper value, project cell) for every compared paper value, in file
    order; a value with no project cell gets one "not run" row. `results`: project
    artefact -> its aggregated barriers (Table 3: its parameter counts), configured
    ones only."""
    threshold, epochs = lmc_threshold_percent(values), paper_epochs(values)
    rows = []
    for value in values:
        if value.metric not in COMPARED_METRICS:
            continue
        found, why = find(value, results)
        if value.relation in ("<", ">"):
            starred = [v for v in values if v.starred and v.artefact == value.artefact]
            row = _bound_row(value, found, starred, epochs)
            row["detail"] = row["detail"] or why
            rows.append(row)
        elif not found:
            rows.append({**_base(value, epochs), "detail": why})
        else:
            rows += [_cell_row(value, m, threshold, epochs) for m in found]
    return pd.DataFrame(rows)


# --- the table --------------------------------------------------------------------------------
