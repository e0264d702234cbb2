"""The tables of the training-dynamics artefacts (beyond the paper), from their
aggregated barriers (lmc.aggregate.dynamics_barriers).

Rows (setup, test barrier / train barrier / endpoint test accuracy), one column per spawn
point k (instability) or snapshot epoch t (barrier over time). Imports no aggregation
code, so rendering does not depend on lmc.evaluate.barrier (lmc.util.code digests)."""

from __future__ import annotations

import pandas as pd

from lmc.report.layout import Cells, Table, layout
from lmc.report.names import setup_name
from lmc.report.summary import basis, cells, endpoint_accuracies

UNIT_TITLES = {"epochs": "epochs", "steps": "steps"}


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
        f"pair itself (beyond the paper; Frankle et al. 2020). {basis(agg)}."
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
        f"pair after epoch t, and their test accuracy (beyond the paper). {basis(agg)}."
    )
    return Table("Barrier over time", caption, header, body, _numbers(out, "epoch"), NOTES)
