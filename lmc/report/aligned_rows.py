"""Aligned rows in an artefact's table: under each barrier row, the same barrier measured
on the path from A to the permutation-aligned B (lmc.analyses.alignment), where the artefact aligns."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from lmc.report.layout import Table

ALIGNED_NOTE = ("Rows marked (aligned): the same barrier after permuting B's hidden units to match "
                "A's (lmc.analyses.alignment; the method is the align_method column of results/barriers/). "
                "Endpoint "
                "accuracies do not change (a permuted network computes the same function); a 1-layer "
                "network has no units to permute, so its aligned barrier is the naive one; n/a: a "
                "setting that is not aligned.")


def with_aligned(builder: Callable[[pd.DataFrame], Table], agg: pd.DataFrame) -> Table:
    """The artefact's table, and under each barrier row its aligned twin, where the
    aggregated barriers carry aligned columns (`aligned_<column>`, lmc.aggregate.barriers)."""
    naive = builder(agg)
    swap = [c for c in agg.columns if c.startswith("aligned_")]
    if not swap or agg[swap].isna().all().all():
        return naive
    twin = agg.copy()
    for c in swap:
        twin[c[len("aligned_"):]] = agg[c]
    aligned = builder(twin)
    metrics = aligned.numbers.groupby("row")["metric"].agg(set)
    rows = []
    for r, t in zip(naive.rows, aligned.rows):
        rows.append(r)
        if metrics.get(t[0], set()) <= {"test_accuracy"}:
            continue                             # accuracies: the same function, nothing to add
        rows.append([f"{t[0]} (aligned)"] + t[1:])
    kept = aligned.numbers
    numbers = kept[(kept["metric"] != "test_accuracy") & kept["mean"].notna()]
    frame = pd.concat([naive.numbers.assign(path="naive"), numbers.assign(path="aligned")], ignore_index=True)
    return Table(naive.title, naive.caption + " With permutation-aligned barriers.", naive.header, rows,
                 frame, naive.notes + [ALIGNED_NOTE], naive.groups, naive.subheader)
