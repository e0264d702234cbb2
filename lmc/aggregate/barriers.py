"""Barrier aggregation: one row per setting x pair of an artefact."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lmc.aggregate import result_files
from lmc.data import datasets
from lmc.evaluate import barrier

METRICS_COLUMNS = result_files.METRICS_COLUMNS
PATH_COLUMNS = result_files.PATH_COLUMNS


@dataclass(frozen=True)
class PairFiles:
    """What aggregation reads for one pair of one setting of an artefact."""
    cell: int                 # position of the setting in the artefact's grid
    label: str                # display label from the config ("" when none)
    coords: dict[str, Any]    # the grid entries that produced the setting
    run_id: str
    pair: int
    setting_json: str | os.PathLike
    metrics_csv: str | os.PathLike
    interpolation_csv: str | os.PathLike
    # the aligned path (lmc.analyses.alignment), where the artefact aligns
    aligned_csv: str | os.PathLike = ""
    align_method: str = ""                 # how B was aligned (weight, activation)


def pair_row(f: PairFiles, setting: dict[str, Any] | None = None) -> dict[str, Any]:
    """One pair's row; `setting` given, f.setting_json is not read."""
    setting = result_files.read_json(f.setting_json, ("dataset", "epochs")) if setting is None else setting
    metrics = result_files.read_metrics(f.metrics_csv, setting.get("epochs"))
    path = result_files.read_path(f.interpolation_csv)
    diverged = bool(metrics["diverged"].any())
    last = metrics[metrics["epoch"] == metrics["epoch"].max()].set_index("member")
    row: dict[str, Any] = {"cell": f.cell, "label": f.label, "run_id": f.run_id, "pair": f.pair}
    row.update({f"coord_{k}": v for k, v in sorted(f.coords.items()) if k != "label"})
    row.update(setting)
    row["dataset_title"] = datasets.info(setting["dataset"]).title
    row["epochs_trained"] = int(metrics["epoch"].max())
    row["final_train_loss_a"] = float(last.loc["a", "train_loss"])
    row["final_train_loss_b"] = float(last.loc["b", "train_loss"])
    row.update(barrier.pair_summary(path, diverged))
    if f.aligned_csv:
        aligned = barrier.pair_summary(result_files.read_path(f.aligned_csv), diverged)
        row["align_method"] = f.align_method
        row.update({f"aligned_{k}": v for k, v in aligned.items() if "barrier" in k})
    return row


def aggregate(files: Sequence[PairFiles]) -> pd.DataFrame:
    """Tidy table sorted by (cell, pair) so reruns give identical bytes."""
    table = pd.DataFrame([pair_row(f) for f in files])
    for col in ("adam_betas",):
        if col in table:
            table[col] = table[col].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
    return table.sort_values(["cell", "pair"], kind="stable").reset_index(drop=True)


def paths(files: Sequence[PairFiles]) -> pd.DataFrame:
    """All interpolation curves of an artefact in one tidy table (for path figures); the
    `path` column says naive (A to B) or aligned (A to the permuted B)."""
    frames = []
    for f in files:
        for kind, csv in (("naive", f.interpolation_csv), ("aligned", f.aligned_csv)):
            if not csv:
                continue
            p = result_files.read_path(csv)
            p.insert(0, "path", kind)
            p.insert(0, "pair", f.pair)
            p.insert(0, "run_id", f.run_id)
            p.insert(0, "label", f.label)
            p.insert(0, "cell", f.cell)
            frames.append(p)
    return (pd.concat(frames).sort_values(["cell", "pair", "path", "split", "alpha"], kind="stable",
                                          key=_naive_first).reset_index(drop=True))


def _naive_first(column: pd.Series) -> pd.Series:
    return column.map({"naive": 0, "aligned": 1}) if column.name == "path" else column
