"""Barriers along a linear path (paper Eq. 1 and Eq. 2, plus the linear-baseline variant).

All functions take a curve sampled at ascending alphas in [0, 1] whose first and last
points are the endpoints A (alpha=0) and B (alpha=1).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def _curve(alphas: Sequence[float], values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(alphas, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if a.shape != v.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"alphas and values must be 1-d of equal length >= 2, got {a.shape} and {v.shape}")
    if a[0] != 0.0 or a[-1] != 1.0 or np.any(np.diff(a) <= 0):
        raise ValueError(f"alphas must ascend from 0 to 1, got {a.tolist()}")
    return a, v


def error_barrier(alphas: Sequence[float], errors: Sequence[float]) -> float:
    """Eq. 1 (Frankle et al.): max_alpha E(alpha) - (E(A) + E(B)) / 2."""
    _, e = _curve(alphas, errors)
    return float(e.max() - 0.5 * (e[0] + e[-1]))


def linear_baseline_barrier(alphas: Sequence[float], values: Sequence[float]) -> float:
    """Entezari et al.: max_alpha [v(alpha) - ((1 - alpha) v(A) + alpha v(B))].

    Unlike Eq. 1 this is zero on a perfectly linear path even when the endpoints differ.
    """
    a, v = _curve(alphas, values)
    return float(np.max(v - ((1.0 - a) * v[0] + a * v[-1])))


def loss_barrier(alphas: Sequence[float], losses: Sequence[float]) -> float:
    """Eq. 1 applied to the loss instead of the error."""
    return error_barrier(alphas, losses)


def normalised_barrier(barrier: float, test_acc_a: float, test_acc_b: float) -> float:
    """Eq. 2: the barrier divided by the endpoints' mean test accuracy."""
    mean_acc = 0.5 * (test_acc_a + test_acc_b)
    if mean_acc <= 0:
        return float("nan")
    return float(barrier / mean_acc)


def pair_summary(path: "pd.DataFrame", diverged: bool) -> dict[str, float]:
    """Every barrier of one pair from its interpolation table (columns split, alpha,
    loss, error, accuracy): Eq. 1 on error and loss, the linear-baseline variants,
    Eq. 2 (normalised by the endpoints' mean *test* accuracy), endpoint accuracies.
    A diverged pair gets NaN barriers (rendered as `*`)."""
    out: dict[str, float] = {"diverged": bool(diverged)}
    test = path[path["split"] == "test"].sort_values("alpha")
    acc_a, acc_b = float(test["accuracy"].iloc[0]), float(test["accuracy"].iloc[-1])
    for split in ("train", "test"):
        curve = path[path["split"] == split].sort_values("alpha")
        al = curve["alpha"].to_numpy()
        values = {
            "error_barrier": error_barrier(al, curve["error"]),
            "error_barrier_linear": linear_baseline_barrier(al, curve["error"]),
            "loss_barrier": loss_barrier(al, curve["loss"]),
            "loss_barrier_linear": linear_baseline_barrier(al, curve["loss"]),
        }
        values["normalised_barrier"] = normalised_barrier(values["error_barrier"], acc_a, acc_b)
        for k, v in values.items():
            out[f"{split}_{k}"] = float("nan") if diverged else v
        out[f"{split}_acc_a"] = float(curve["accuracy"].iloc[0])
        out[f"{split}_acc_b"] = float(curve["accuracy"].iloc[-1])
    return out
