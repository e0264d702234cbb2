"""The claims table on fabricated aggregated barriers with known numbers: every verdict
(supported, not supported, not testable) comes out where the numbers say it must."""
from __future__ import annotations

import pandas as pd
import pytest

from lmc import claims, formats

BASE = {"dataset": "mnist", "dataset_title": "MNIST", "model": "mlp", "depth": 2, "batch_size": 1024,
        "optimizer": "sgd", "lr": 0.1, "warmup_fraction": 0.0, "epochs": 20, "label": ""}


def agg(settings: list[tuple[dict, list[float]]], normalised: bool = False) -> pd.DataFrame:
    """One row per setting x pair; `values` are the pairs' test barriers in % (None: diverged)."""
    rows = []
    for cell, (over, values) in enumerate(settings):
        for k, v in enumerate(values):
            diverged = v is None
            b = float("nan") if diverged else v / 100
            norm = b if normalised else float("nan")
            rows.append({**BASE, **over, "cell": cell, "pair": k, "diverged": diverged,
                         "test_error_barrier": b, "test_normalised_barrier": norm})
    return pd.DataFrame(rows)


SGD, ADAM = {"optimizer": "sgd", "lr": 0.1}, {"optimizer": "adam", "lr": 0.005}
ADAM_LOW = {"optimizer": "adam", "lr": 0.001}
ADAM_WARM = {"optimizer": "adam", "lr": 0.005, "warmup_fraction": 0.05}


def by_claim(verdicts, text: str) -> claims.Verdict:
    found = [v for v in verdicts if text in v.claim]
    assert len(found) == 1, [v.claim for v in verdicts]
    return found[0]


def test_table2_claims_supported():
    t2 = agg([(SGD, [0.1, 0.2, 0.15]), (ADAM_LOW, [1.0, 1.1]), (ADAM, [3.0, 3.2, 2.9]),
              (ADAM_WARM, [0.3, 0.2, 0.4])])
    v = claims.table2_claims(t2)
    assert [x.verdict for x in v] == [claims.SUPPORTED] * 3
    # ADAM ↑Lr is the highest ADAM rate without warm-up, not the 0.001 one
    assert v[1].cells[0].name == "ADAM High Lr (0.005)"
    assert v[1].cells[0].mean == pytest.approx(3.0333, abs=1e-3)
    assert v[2].cells[1].name == "ADAM High Lr (0.005) + W-up"


def test_table2_claims_opposite_and_noise():
    # SGD above 2 % beyond its spread; ADAM clearly below SGD; warm-up within the noise
    t2 = agg([(SGD, [5.0, 5.2, 5.1]), (ADAM, [1.0, 1.1, 0.9]), (ADAM_WARM, [1.0, 0.5, 1.6])])
    sgd, adam, warm = claims.table2_claims(t2)
    assert sgd.verdict == claims.NOT_SUPPORTED
    assert adam.verdict == claims.NOT_SUPPORTED and "opposite" in adam.reason
    assert warm.verdict == claims.NOT_TESTABLE and "within the spread" in warm.reason


def test_one_pair_or_divergence_is_not_testable():
    one = claims.table2_claims(agg([(SGD, [0.1]), (ADAM, [3.0]), (ADAM_WARM, [0.2])]))
    assert all(v.verdict == claims.NOT_TESTABLE and "1 pair" in v.reason for v in one)
    div = claims.table2_claims(agg([(SGD, [0.1, 0.2]), (ADAM, [3.0, None]), (ADAM_WARM, [0.2, 0.3])]))
    assert div[1].verdict == claims.NOT_TESTABLE and "diverged" in div[1].reason


def test_missing_artefacts_are_not_testable():
    verdicts = claims.check_claims({})
    assert verdicts
    assert all(v.verdict == claims.NOT_TESTABLE and "config has no" in v.reason for v in verdicts)
    # Table 2 without warm-up settings: only the warm-up claim lacks its cells
    v = claims.table2_claims(agg([(SGD, [0.1, 0.2]), (ADAM, [3.0, 3.1])]))
    assert [x.verdict for x in v] == [claims.SUPPORTED, claims.SUPPORTED, claims.NOT_TESTABLE]


def test_logistic_regression_threshold():
    t1 = agg([({"model": "linear", "depth": 1, "batch_size": 30000}, [0.5, 0.6]),
              ({"model": "linear", "depth": 8}, [9.0, 9.5])])
    v = claims.logistic_regression(t1)[0]
    assert v.verdict == claims.SUPPORTED
    assert len(v.cells) == 1                  # the 8-layer row is not logistic regression
    near = claims.logistic_regression(agg([({"model": "linear", "depth": 1}, [1.0, 2.8])]))[0]
    assert near.verdict == claims.NOT_TESTABLE and "reaches 2 %" in near.reason


def test_weight_sharing_per_learning_rate():
    f2 = agg([({"model": "lcn"}, [1.0, 1.2]), ({"model": "cnn"}, [4.0, 4.4]),
              ({"model": "lcn", "lr": 0.001}, [0.2, 0.3]), ({"model": "cnn", "lr": 0.001}, [0.25, 0.2])])
    high, low = claims.weight_sharing(f2)
    assert high.verdict == claims.SUPPORTED and "High Lr (0.1)" in high.claim
    assert low.verdict == claims.NOT_TESTABLE


def test_dataset_complexity_order():
    rows = [({"dataset": d, "dataset_title": t}, v) for d, t, v in
            (("cifar10", "CIFAR-10", [10.0, 11.0]), ("mnist", "MNIST", [1.0, 1.1]),
             ("cifar100", "CIFAR-100", [20.0, 21.0]))]
    v = claims.dataset_complexity(agg(rows, normalised=True))[0]
    assert v.verdict == claims.SUPPORTED
    # complexity order, not grid order
    assert [c.name for c in v.cells] == ["MNIST", "CIFAR-10", "CIFAR-100"]
    rows[2] = ({"dataset": "cifar100", "dataset_title": "CIFAR-100"}, [2.0, 2.1])
    worse = claims.dataset_complexity(agg(rows, normalised=True))[0]
    assert worse.verdict == claims.NOT_SUPPORTED and worse.reason.startswith("CIFAR-10 → CIFAR-100")
    single = claims.dataset_complexity(agg([({}, [1.0, 1.1])], normalised=True))[0]
    assert single.verdict == claims.NOT_TESTABLE


def test_intervals_widen_with_few_pairs():
    """The same means and spread: supported with many pairs, not testable with two."""
    def cell(mean: float, pairs: int) -> claims.Cell:
        return claims.Cell(f"m{mean}", mean, 0.5, pairs, False)

    many = claims.greater("c", "t", cell(1.5, 10), cell(1.0, 10))
    two = claims.greater("c", "t", cell(1.5, 2), cell(1.0, 2))
    assert many.verdict == claims.SUPPORTED and two.verdict == claims.NOT_TESTABLE
    assert claims.Cell("x", 1.0, 1.0, 3, False).half_width == pytest.approx(4.3027 / 3 ** 0.5, rel=1e-4)


def test_claims_table_renders_every_claim():
    t2 = agg([(SGD, [0.1, 0.2, 0.15]), (ADAM, [3.0, 3.2, 2.9]), (ADAM_WARM, [0.3, 0.2, 0.4])])
    table = claims.claims_table({"table2": t2})
    md = formats.to_markdown(table)
    assert md.count("| supported |") == 3 and md.count("not testable at this scale") >= 3
    assert "ADAM High Lr (0.005): 3.03 ± 0.15 (3 pairs)" in md
    assert set(table.numbers["verdict"]) == {claims.SUPPORTED, claims.NOT_TESTABLE}
    assert "MNIST; 3 pair(s) per setting; 20 epochs" in table.caption
