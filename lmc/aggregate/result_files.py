"""Strict reads of the result files the pipeline reads back: a file cut short (a full
disk, a copy interrupted), hand-edited or from another version stops the reader with one
line naming it and the command that rebuilds it, instead of entering a table as NaN.

Every check is one a finished file passes by construction: interpolation.csv holds the
same strictly ascending α grid from 0 to 1 on both splits, error + accuracy = 1;
metrics.csv holds members a and b for every epoch 1..E (E < epochs only after every
member of the job diverged); the barrier CSVs one row per setting x pair. Numbers that
divergence makes non-finite (losses, barriers of a diverged pair) may be NaN or inf."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lmc.util.io import CorruptFileError, read_csv, rebuild_hint

PATH_COLUMNS = ("split", "alpha", "loss", "error", "accuracy")
METRICS_COLUMNS = ("epoch", "member", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "diverged")
BARRIER_KEYS = ("cell", "label", "run_id", "pair", "diverged")


def _bad(path: str | os.PathLike, what: str) -> CorruptFileError:
    return CorruptFileError(f"{path}: {what} (cut short or edited?); {rebuild_hint(path)}")


def _numbers(table: pd.DataFrame, path: str | os.PathLike, columns: Sequence[str],
             finite: Sequence[str]) -> None:
    """`columns` numeric; those in `finite` also without NaN or inf."""
    for c in columns:
        if not pd.api.types.is_numeric_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c]):
            raise _bad(path, f"column {c} holds non-numbers")
        if c in finite and not np.isfinite(table[c].to_numpy(dtype=float)).all():
            raise _bad(path, f"column {c} has empty or non-finite values")


def _booleans(table: pd.DataFrame, path: str | os.PathLike, column: str) -> None:
    if not pd.api.types.is_bool_dtype(table[column]):
        raise _bad(path, f"column {column} holds other values than True/False")


def read_path(path: str | os.PathLike, splits: Sequence[str] = ("test", "train"),
              extra: Sequence[str] = ()) -> pd.DataFrame:
    """An interpolation.csv (with `extra` key columns, e.g. the snapshots' epoch), checked."""
    table = read_csv(path, PATH_COLUMNS + tuple(extra))
    _numbers(table, path, ("alpha", "error", "accuracy", "loss") + tuple(extra),
             ("alpha", "error", "accuracy") + tuple(extra))
    if not np.allclose(table["error"] + table["accuracy"], 1.0, rtol=0, atol=1e-6):
        raise _bad(path, "error + accuracy differs from 1")
    if set(table["split"]) != set(splits):
        raise _bad(path, f"holds splits {sorted(map(str, set(table['split'])))}, not {sorted(splits)}")
    grids = [g["alpha"].tolist() for _, g in table.groupby(["split", *extra], sort=False)]
    for alphas in grids:
        if alphas[0] != 0.0 or alphas[-1] != 1.0 or any(b <= a for a, b in zip(alphas, alphas[1:])):
            raise _bad(path, f"α grid {alphas} does not ascend from 0 to 1")
        if alphas != grids[0]:
            raise _bad(path, f"its paths hold different α grids ({len(alphas)} and {len(grids[0])} points)")
    return table


def read_metrics(path: str | os.PathLike, epochs: int | None = None) -> pd.DataFrame:
    """A pair's metrics.csv, checked: members a and b in every epoch from the first it
    records (1, or k + 1 for a pair spawned after k epochs) to E = `epochs` (fewer only
    where both diverged)."""
    table = read_csv(path, METRICS_COLUMNS)
    _numbers(table, path, ("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc"),
             ("epoch", "lr", "train_acc", "test_acc"))
    _booleans(table, path, "diverged")
    # a pair spawned after k epochs (lmc.train.spawn) records its own epochs only: from k + 1 on
    first, last = int(table["epoch"].min()), int(table["epoch"].max())
    expected = [(e, m) for e in range(first, last + 1) for m in ("a", "b")]
    if sorted(zip(table["epoch"].astype(int), table["member"].astype(str))) != expected:
        raise _bad(path, f"lacks rows: not one per member a, b and epoch {first}..{last}")
    if epochs is not None and last != epochs and not table[table["epoch"] == last]["diverged"].all():
        raise _bad(path, f"holds {last} of {epochs} epochs, and the pair did not diverge")
    return table


# The columns that, beside (cell, pair), name a row of the training-dynamics artefacts'
# barriers (lmc.aggregate.dynamics_barriers): one row per spawn point k or snapshot epoch t.
POINT_KEYS = ("spawn_point", "epoch")


def read_barriers(path: str | os.PathLike) -> pd.DataFrame:
    """An aggregated barriers CSV, checked: one row per (cell, pair) (per spawn point or
    epoch too, for the dynamics artefacts), every cell with the same pairs, and every
    barrier finite unless its pair diverged."""
    table = read_csv(path, BARRIER_KEYS)
    _numbers(table, path, ("cell", "pair"), ("cell", "pair"))
    _booleans(table, path, "diverged")
    keys = ["cell", "pair"] + [k for k in POINT_KEYS if k in table.columns]
    if table.duplicated(keys).any():
        raise _bad(path, f"holds a ({', '.join(keys)}) twice")
    pairs = table.groupby("cell")["pair"].apply(lambda p: tuple(sorted(set(p))))
    if pairs.nunique() != 1:
        raise _bad(path, "its settings hold different pairs")
    barriers = [c for c in table.columns if "barrier" in c and not c.startswith("aligned_")]
    kept = table[~table["diverged"]]
    for c in barriers:
        if not pd.api.types.is_numeric_dtype(table[c]) or not np.isfinite(kept[c].to_numpy(float)).all():
            raise _bad(path, f"column {c} has empty or non-numeric values for a pair that did not diverge")
    return table


def read_json(path: str | os.PathLike, keys: Sequence[str] = ()) -> dict[str, Any]:
    """A JSON object the pipeline wrote (setting.json, seeds.json, provenance.json), with `keys`."""
    try:
        with open(path) as f:
            obj = json.load(f)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as e:
        raise _bad(path, f"not readable JSON ({type(e).__name__})") from None
    missing = [k for k in keys if not isinstance(obj, dict) or k not in obj]
    if missing:
        raise _bad(path, f"lacks {', '.join(missing)}")
    return obj


def read_seeds(path: str | os.PathLike) -> dict[str, Any]:
    """A pair's seeds.json: integer seeds and the members' divergence flags."""
    seeds = read_json(path, ("init_seed", "order_seed_a", "order_seed_b", "diverged"))
    ints = [v for k, v in seeds.items() if k.startswith(("order_seed", "init_seed"))]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in ints):
        raise _bad(path, "holds a seed that is not an integer")
    return seeds
