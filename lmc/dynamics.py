"""The training-dynamics artefacts (beyond the paper): their aggregated barriers and
their tables.

- `instability` (spawn-at-k, lmc.spawn): one row per setting x spawn point x pair, the
  barriers of A and B spawned at k (k = 0: the setting's own pair).
- `barrier_over_time` (lmc.snapshots): one row per setting x pair x snapshot epoch t,
  the barriers of (A_t, B_t).

Both reuse `lmc.aggregate.pair_row` / `lmc.barrier.pair_summary`, so a barrier here is
computed exactly as in Tables 1-4."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from . import aggregate, datasets, io, snapshots
from .layout import Cells, Table, layout
from .names import setup_name
from .summary import cells, endpoint_accuracies, provenance

UNIT_TITLES = {"epochs": "epochs", "steps": "steps"}


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
        pf = aggregate.PairFiles(
            cell=c["cell"],
            label=c["label"],
            coords=c["coords"],
            run_id=c["run_id"],
            pair=c["pair"],
            setting_json="",
            metrics_csv=f["metrics"],
            interpolation_csv=f["interpolation"],
        )
        row = aggregate.pair_row(pf, dict(c["setting"]))
        seeds = json.loads(open(f["seeds"]).read())
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
        metrics = io.read_csv(f["metrics"], aggregate.METRICS_COLUMNS)
        path = io.read_csv(f["interpolation"], aggregate.PATH_COLUMNS + ("epoch",))
        table = snapshots.summaries(path, metrics)
        front = {"cell": c["cell"], "label": c["label"], "run_id": c["run_id"], "pair": c["pair"]}
        for i, (k, v) in enumerate({**front, **_setting_columns(c["setting"])}.items()):
            table.insert(i, k, [v] * len(table))
        frames.append(table)
    return pd.concat(frames).sort_values(["cell", "epoch", "pair"], kind="stable").reset_index(drop=True)


NOTES = [
    "Mean ± std over pairs; each pair is two networks from one initialisation trained with different "
    "data orders.",
    "Barrier B = max_α E(Θ(α)) − ½(E(A)+E(B)) over the configured α (Eq. 1); "
    "`*` marks a setting where a pair diverged. Acc_test: the endpoints' test accuracy (A and B pooled).",
]


def _by_step(
    agg: pd.DataFrame, column: str, what: str, corner: str
) -> tuple[list[str], list[list[str]], Cells]:
    """Rows (setup, quantity), one column per value of `column` (spawn point or epoch)."""
    out = Cells()
    for c, g in cells(agg):
        setup = setup_name(g)
        for x, gx in g.groupby(column, sort=True):
            label = f"{what} {float(x):g}"
            for split in ("test", "train"):
                out.add(
                    c,
                    gx,
                    f"{setup}: %B_{split}",
                    label,
                    "error_barrier",
                    split,
                    gx[f"{split}_error_barrier"],
                    keys=((c, split), (float(x),)),
                )
            out.add(
                c,
                gx,
                f"{setup}: Acc_test",
                label,
                "test_accuracy",
                "test",
                endpoint_accuracies(gx),
                keys=((c, "acc"), (float(x),)),
            )
    header, body, _ = layout(out.entries, corner=corner)
    return header, body, out


def _numbers(out: Cells, column: str) -> pd.DataFrame:
    frame = out.frame()
    frame.insert(5, column, [float(c.split()[-1]) for c in frame["column"]])
    return frame


def instability(agg: pd.DataFrame) -> Table:
    """Test and train error barriers (%) of A and B spawned at k, per setup; one column per k."""
    unit = str(agg["spawn_unit"].iloc[0])
    header, body, out = _by_step(agg, "spawn_point", "k =", f"setup (k in {UNIT_TITLES[unit]})")
    points = ", ".join(f"{p:g}" for p in sorted(set(agg["spawn_point"])))
    caption = (
        "Error barriers (Eq. 1, in %) between A and B spawned from one trunk after k "
        f"{unit} (k ∈ {{{points}}}) and trained to the end with different data orders; k = 0 is the "
        f"pair itself (beyond the paper; Frankle et al. 2020). {provenance(agg)}."
    )
    notes = NOTES + [
        "The trunk starts from the pair's initialisation with its own data order; A and B continue "
        "its optimiser state and learning-rate schedule (warm-up included), so they take as many "
        "steps as an unspawned pair."
    ]
    return Table("Instability", caption, header, body, _numbers(out, "spawn_point"), notes)


def barrier_over_time(agg: pd.DataFrame) -> Table:
    """Test and train error barriers (%) of (A_t, B_t) after epoch t, per setup; one column per t."""
    header, body, out = _by_step(agg, "epoch", "t =", "setup (epoch t)")
    caption = (
        "Error barriers (Eq. 1, in %) between the snapshots A_t and B_t of a "
        f"pair after epoch t, and their test accuracy (beyond the paper). {provenance(agg)}."
    )
    return Table("Barrier over time", caption, header, body, _numbers(out, "epoch"), NOTES)
