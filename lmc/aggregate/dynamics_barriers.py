"""Aggregated barriers of the training-dynamics artefacts (rules aggregate_instability,
aggregate_barrier_over_time); their tables are lmc.report.dynamics_tables.

- `instability` (spawn-at-k, lmc.train.spawn): one row per setting x spawn point x pair, the
  barriers of A and B spawned at k (k = 0: the setting's own pair).
- `barrier_over_time` (lmc.train.snapshots): one row per setting x pair x snapshot epoch t,
  the barriers of (A_t, B_t).

Both reuse `lmc.aggregate.barriers.pair_row` / `lmc.evaluate.barrier.pair_summary`, so a barrier here is
computed exactly as in Tables 1-4."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lmc.aggregate import barriers, result_files
from lmc.data import datasets
from lmc.evaluate import barrier


def _setting_columns(setting: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: json.dumps(v) if isinstance(v, list) else v for k, v in setting.items()}
    out["dataset_title"] = datasets.info(setting["dataset"]).title
    return out


def instability_table(
    cells_: Sequence[Mapping[str, Any]], files: Sequence[Mapping[str, str]]
) -> pd.DataFrame:
    """Aggregated barriers of the spawn sweep. `cells_[i]`: cell, label, coords, run_id,
    pair, setting, unit, point (its value); `files[i]`: its metrics, interpolation and
    seeds files (k = 0: the pair's own)."""
    rows = []
    for c, f in zip(cells_, files):
        pf = barriers.PairFiles(
            cell=c["cell"],
            label=c["label"],
            coords=c["coords"],
            run_id=c["run_id"],
            pair=c["pair"],
            setting_json="",
            metrics_csv=f["metrics"],
            interpolation_csv=f["interpolation"],
        )
        row = barriers.pair_row(pf, dict(c["setting"]))
        seeds = result_files.read_seeds(f["seeds"])
        row.update(
            {
                "spawn_unit": c["unit"],
                "spawn_point": float(c["point"]),
                "spawn_step": int(seeds.get("spawn_step", 0)),
            }
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    table["adam_betas"] = table["adam_betas"].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
    return table.sort_values(["cell", "spawn_point", "pair"], kind="stable").reset_index(drop=True)


def over_time_table(cells_: Sequence[Mapping[str, Any]], files: Sequence[Mapping[str, str]]) -> pd.DataFrame:
    """Aggregated barriers along training: `cells_[i]` as above (no spawn point), `files[i]`
    its metrics and snapshot interpolation (column epoch)."""
    frames = []
    for c, f in zip(cells_, files):
        metrics = result_files.read_metrics(f["metrics"], c["setting"].get("epochs"))
        path = result_files.read_path(f["interpolation"], extra=("epoch",))
        table = summaries(path, metrics)
        front = {"cell": c["cell"], "label": c["label"], "run_id": c["run_id"], "pair": c["pair"]}
        for i, (k, v) in enumerate({**front, **_setting_columns(c["setting"])}.items()):
            table.insert(i, k, [v] * len(table))
        frames.append(table)
    return pd.concat(frames).sort_values(["cell", "epoch", "pair"], kind="stable").reset_index(drop=True)


def summaries(paths: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per snapshot epoch of one pair: `barrier.pair_summary` of its path
    (`paths` has an `epoch` column), diverged when a member had diverged by then."""
    rows = []
    for epoch, path in paths.groupby("epoch", sort=True):
        diverged = bool(metrics.loc[metrics["epoch"] <= epoch, "diverged"].astype(bool).any())
        rows.append({"epoch": int(epoch), **barrier.pair_summary(path, diverged)})
    return pd.DataFrame(rows)
