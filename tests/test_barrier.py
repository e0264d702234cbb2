"""Barrier maths against hand-computed curves."""
import math

import pandas as pd
import pytest

from lmc.evaluate import barrier

ALPHAS = [i / 10 for i in range(11)]


def test_error_barrier_eq1_hand_computed():
    # endpoints 0.10 and 0.20, bump to 0.40 at alpha 0.5: 0.40 - 0.15 = 0.25
    errors = [0.10, 0.12, 0.2, 0.3, 0.35, 0.40, 0.33, 0.3, 0.25, 0.22, 0.20]
    assert barrier.error_barrier(ALPHAS, errors) == pytest.approx(0.25)


def test_eq1_counts_endpoint_difference_but_linear_baseline_does_not():
    # a perfectly linear path from 0.1 to 0.3: Eq. 1 gives half the difference, the
    # linear-baseline barrier gives zero.
    errors = [0.1 + 0.2 * a for a in ALPHAS]
    assert barrier.error_barrier(ALPHAS, errors) == pytest.approx(0.1)
    assert barrier.linear_baseline_barrier(ALPHAS, errors) == pytest.approx(0.0, abs=1e-12)


def test_linear_baseline_hand_computed():
    # baseline at alpha 0.3 is 0.7*0.1 + 0.3*0.3 = 0.16; value 0.5 -> 0.34 is the max
    errors = [0.1 + 0.2 * a for a in ALPHAS]
    errors[3] = 0.5
    assert barrier.linear_baseline_barrier(ALPHAS, errors) == pytest.approx(0.34)


def test_flat_curve_has_zero_barrier_and_normalised():
    flat = [0.02] * 11
    assert barrier.error_barrier(ALPHAS, flat) == 0.0
    assert barrier.normalised_barrier(0.05, 0.5, 0.3) == pytest.approx(0.125)   # 0.05 / 0.4
    assert math.isnan(barrier.normalised_barrier(0.05, 0.0, 0.0))


def test_bad_curves_rejected():
    with pytest.raises(ValueError, match="ascend from 0 to 1"):
        barrier.error_barrier([0.0, 0.6, 0.5, 1.0], [0, 0, 0, 0])
    with pytest.raises(ValueError, match="equal length"):
        barrier.error_barrier([0.0, 1.0], [0.1])


def test_pair_summary_from_a_path_table():
    rows = []
    for split, bump in (("train", 0.3), ("test", 0.4)):
        for a in ALPHAS:
            err = 0.1 + (bump - 0.1) * (1 - abs(2 * a - 1))      # triangle peaking at 0.5
            rows.append({"split": split, "alpha": a, "error": err, "accuracy": 1 - err, "loss": 2 * err})
    s = barrier.pair_summary(pd.DataFrame(rows), diverged=False)
    assert s["train_error_barrier"] == pytest.approx(0.2)
    assert s["test_error_barrier"] == pytest.approx(0.3)
    assert s["test_loss_barrier"] == pytest.approx(0.6)
    assert s["test_normalised_barrier"] == pytest.approx(0.3 / 0.9)
    assert s["train_normalised_barrier"] == pytest.approx(0.2 / 0.9)     # Eq. 2 uses test accuracy
    d = barrier.pair_summary(pd.DataFrame(rows), diverged=True)
    assert math.isnan(d["test_error_barrier"]) and d["diverged"]
