"""Barriers along a linear path (paper Eq. 1 and Eq. 2, plus the linear-baseline variant).

All functions take a curve sampled at ascending alphas in [0, 1] whose first and last
points are the endpoints A (alpha=0) and B (alpha=1).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
