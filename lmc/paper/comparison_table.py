"""The paper comparison as a table: each compared cell in words (the project's mean ± std and
n, both epochs, the verdict), the counts of verdicts, and the figure's caption; the rows
are lmc.paper.comparison's."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lmc.data import datasets
from lmc.paper.comparison import (
    ACCURACY_TOLERANCE,
    NOT_RUN,
    VERDICTS,
)
from lmc.report.layout import Table


def _fmt(x: float, decimals: int = 2) -> str:
    return "" if isinstance(x, float) and math.isnan(x) else f"{x:.{decimals}f}"


def project_text(r: Mapping[str, Any]) -> str:
    """'0.42 ± 0.10 (3 pairs)', '*' for a diverged cell, '' when not run."""
    if r["verdict"] == NOT_RUN:
        return ""
    if r["diverged"]:
        return f"* ({int(r['pairs'])} pairs)"
    if r["metric"] == "parameters":
        return f"{r['mean']:.2f}M"
    d = 3 if r["metric"] == "train_loss" else 2
    spread = "" if math.isnan(r["std"]) else f" ± {r['std']:.{d}f}"
    pairs = int(r["pairs"])
    bound = "min " if r["relation"] == ">" else "max " if r["relation"] == "<" else ""
    return f"{bound}{r['mean']:.{d}f}{spread} ({pairs} pair{'s' if pairs != 1 else ''})"


def _epochs_text(r: Mapping[str, Any]) -> str:
    if math.isnan(r["paper_epochs"]):
        return "–"
    here = "–" if math.isnan(r["epochs"]) else str(int(r["epochs"]))
    return f"{here} / {int(r['paper_epochs'])}"


def _basis(frame: pd.DataFrame) -> str:
    run = frame[(frame["verdict"] != NOT_RUN) & (frame["metric"] != "parameters")]
    if not len(run):
        return "No trained cell of the paper was run by this config."
    ds = ", ".join(sorted({datasets.info(str(d)).title for d in run["dataset"] if d}))
    epochs = ", ".join(str(int(e)) for e in sorted(set(run["epochs"].dropna())))
    pairs = ", ".join(str(int(p)) for p in sorted(set(run["pairs"].dropna())))
    return (f"Run here: {ds or 'the configured datasets'}; {epochs} epochs (paper: 200); "
            f"{pairs} pair(s) per setting.")


def figure_caption(frame: pd.DataFrame) -> str:
    """What the figure stands on: the dataset, epochs and pairs of the cells run, and how
    many printed cells were run."""
    cellwise = frame["relation"].isin(["=", "*"]) & frame["metric"].isin(["error_barrier", "test_accuracy"])
    printed = frame[cellwise]
    cells_run = printed[printed["verdict"] != NOT_RUN]
    return (f"Paper comparison: this project (y) against the paper (x), {cells_run['id'].nunique()} of "
            f"{printed['id'].nunique()} printed barrier and accuracy cells run. {_basis(frame)}")


def counts_text(frame: pd.DataFrame) -> str:
    """'agree 12, disagree 3, not run 70' over the rows, in VERDICTS order."""
    counts = frame["verdict"].value_counts()
    return ", ".join(f"{v} {int(counts[v])}" for v in VERDICTS if v in counts)


def comparison_table(frame: pd.DataFrame, threshold: float) -> Table:
    """The comparison as a Table: one body row per comparison row, in file order."""
    header = ["paper cell", "split", "paper", "here (mean ± std)", "epochs here / paper", "here − paper",
              "verdict"]
    body = []
    for _, r in frame.iterrows():
        cell = f"{r['source']}: {r['row']} · {r['column']}"
        if r["project_cell"] and r["verdict"] != NOT_RUN:
            cell += f" [{r['project_artefact']}: {r['project_cell']}]"
        verdict = r["verdict"] + (f" ({r['detail']})" if r["detail"] else "")
        decimals = 3 if r["metric"] == "train_loss" else 2
        body.append([cell, r["split"] or "–", r["paper"], project_text(r), _epochs_text(r),
                     _fmt(r["difference"], decimals), verdict])
    caption = ("Every number the paper prints in Tables 1–4 and the values its text states, beside this "
               "project's result for the same setting (matched on dataset, model, depth, batch size, "
               f"optimiser, learning rate, warm-up, ...). {_basis(frame)}")
    notes = [
        f"Verdicts: {counts_text(frame)}.",
        "Error barriers (Eq. 1, %): agree when the paper's value and every pair here lie on the same side "
        f"of the paper's LMC threshold ({threshold:g} %, §2); 'pairs straddle' when the pairs here fall on "
        "both sides; 'not trained here' when an endpoint stays below the dataset's accuracy floor "
        "(MNIST 90 %, Table 1's caption).",
        f"Test accuracies (%): agree within ±{ACCURACY_TOLERANCE:g} points (endpoints A and B pooled). "
        "Parameter counts: agree when equal at the printed precision. Bounds of Table 1's caption: "
        "judged on the lowest (above) or highest (below) of the cells the paper does not mark `*`.",
        "`*`: diverged (a non-finite loss); the paper's Table 4 does not define its `*`, read as Table 1's.",
        "'not run': this config has no cell with the paper's setting; the detail names the closest one.",
    ]
    return Table("Paper comparison", caption, header, body, frame, notes)
