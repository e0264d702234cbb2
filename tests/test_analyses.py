"""Layer-wise barriers and the plane through Θ₀, A and B, on the library level (the
workflow runs them in tests/test_analyses_pipeline.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmc.analyses import layerwise, plane
from lmc.evaluate import interpolate
from lmc.nn import stacked
from lmc.train import settings as train_settings
from lmc.train.loop import initial_state

SETTING = {"dataset": "mnist", "model": "mlp", "depth": 3, "width": 16, "slope": 0.0, "init": "torch_default",
           "init_scale": 1.0}


def _states():
    return initial_state(SETTING, 0), initial_state(SETTING, 1), initial_state(SETTING, 2)


def test_layer_groups_pair_weight_and_bias():
    init, _, _ = _states()
    assert layerwise.layer_groups(init) == [(f"layers.{i}", [f"layers.{i}.weight", f"layers.{i}.bias"])
                                            for i in range(3)]
    lcn = initial_state({**SETTING, "model": "lcn", "channels": 2, "kernel": 7}, 0)
    assert [g for g, _ in layerwise.layer_groups(lcn)] == ["local", "classifier"]


def test_layerwise_members_and_the_midpoint(digits_splits):
    _, a, b = _states()
    labels, states = layerwise.members(a, b)
    assert len(states) == 2 + 4 * 3
    single_a = states[labels.index({"layer_index": 2, "layer": "layers.1", "variant": "single", "base": "a"})]
    assert torch.equal(single_a["layers.0.weight"], a["layers.0.weight"])
    torch.testing.assert_close(single_a["layers.1.weight"], (a["layers.1.weight"] + b["layers.1.weight"]) / 2)
    frame = layerwise.evaluate_layerwise(SETTING, a, b, digits_splits, "cpu", batch_size=100)
    assert set(frame.columns) == set(layerwise.COLUMNS) and len(frame) == 2 * 14
    path = interpolate.evaluate_path(a, b, SETTING, digits_splits, [0.0, 0.5, 1.0], "cpu")
    for split in ("train", "test"):
        f = frame[frame["split"] == split]
        mid = path[(path["split"] == split) & (path["alpha"] == 0.5)].iloc[0]
        # every layer averaged is the midpoint of the linear path, whichever end it started from
        last = f[(f["variant"] == "cumulative") & (f["layer_index"] == 3)]
        assert np.allclose(last["error"], mid["error"], atol=1e-12) and np.allclose(last["loss"], mid["loss"])
        ends = f[f["variant"] == "endpoint"].set_index("base")
        a_end = path[(path["split"] == split) & (path["alpha"] == 0.0)].iloc[0]
        assert ends.loc["a", "error"] == pytest.approx(a_end["error"], abs=1e-12)
    bars = layerwise.barriers(frame)
    row = bars[(bars["split"] == "test") & (bars["variant"] == "cumulative") & (bars["layer_index"] == 3)]
    t = frame[frame["split"] == "test"].set_index(["variant", "base", "layer_index"])
    ref = 0.5 * (t.loc[("endpoint", "a", 0), "error"] + t.loc[("endpoint", "b", 0), "error"])
    assert row["error_barrier"].iloc[0] == pytest.approx(t.loc[("cumulative", "a", 3), "error"] - ref)


def test_plane_basis_is_orthonormal_and_the_grid_holds_the_anchors(digits_splits):
    init, a, b = _states()
    o, u, v, anchors = plane.basis(init, a, b)
    assert float(u @ v) == pytest.approx(0, abs=1e-9) and float(u.norm()) == pytest.approx(1)
    assert float(v.norm()) == pytest.approx(1)
    xb, yb = anchors["b"]
    torch.testing.assert_close(o + xb * u + yb * v, torch.cat([t.reshape(-1).double() for t in b.values()]))
    frame, meta = plane.evaluate_plane(SETTING, init, a, b, digits_splits, "cpu", (5, 3), 0.0, batch_size=100)
    assert len(frame) == 2 * 15 and meta["anchors"]["init"] == [0.0, 0.0]
    direct = stacked.stack_states([init, a], "cpu")
    from lmc.evaluate.points import evaluate_members

    ev = evaluate_members(SETTING, 2, lambda i, j: {k: t[i:j] for k, t in direct.items()}, digits_splits,
                          "cpu")
    xs = sorted(set(frame["x"]))
    assert xs[0] <= 0 <= xs[-1] and min(xb, 0) == pytest.approx(xs[0])
    for split in ("train", "test"):
        f = frame[frame["split"] == split]
        e = ev[ev["split"] == split].set_index("member")
        at_init = f[(f["x"].abs() < 1e-12) & (f["y"].abs() < 1e-12)] if xb >= 0 else None
        at_a = f[(np.isclose(f["x"], anchors["a"][0])) & (f["y"].abs() < 1e-12)]
        if at_init is not None:
            assert at_init["loss"].iloc[0] == pytest.approx(e.loc[0, "loss"], rel=1e-5)
        assert at_a["loss"].iloc[0] == pytest.approx(e.loc[1, "loss"], rel=1e-5)


def test_plane_refuses_collinear_points():
    init, a, _ = _states()
    double = {k: 2 * a[k] - init[k] for k in a}
    with pytest.raises(plane.PlaneError, match="parallel"):
        plane.basis(init, a, double)


def test_shared_init_false_is_a_new_setting_and_existing_ids_stay():
    from lmc.train import loop

    setting = {"dataset": "mnist", "model": "mlp", "init": "torch_default", "init_scale": 1.0,
               "optimizer": "sgd", "lr": 0.1, "batch_size": 64, "epochs": 1, "warmup_fraction": 0.0,
               "schedule": "constant", "weight_decay": 0.0, "augment": "none", "seed": 0, "depth": 2,
               "width": 8, "slope": 0.0, "momentum": 0.9}
    shared = train_settings.canonical(setting)
    assert "shared_init" not in shared
    assert train_settings.canonical({**setting, "shared_init": True}) == shared
    assert train_settings.run_id({**setting, "shared_init": True}) == train_settings.run_id(setting)
    independent = {**setting, "shared_init": False}
    assert train_settings.run_id(independent) != train_settings.run_id(setting)
    seeds, own = train_settings.pair_seeds(setting, 0), train_settings.pair_seeds(independent, 0)
    assert "init_seed_b" not in seeds and own["init_seed_b"] != own["init_seed"]
    a, b = loop.pair_inits(train_settings.canonical(setting), seeds)
    assert a is b
    a, b = loop.pair_inits(train_settings.canonical(independent), own)
    expected = loop.initial_state(independent, own["init_seed"])
    assert torch.equal(a["layers.0.weight"], expected["layers.0.weight"])
    assert not torch.equal(a["layers.0.weight"], b["layers.0.weight"])


def test_cost_counts_each_analysis_network():
    from lmc.config import cost
    from lmc.data import datasets

    config = {"alphas": [0.0, 0.5, 1.0],
              "analysis": {"align": {"method": "weight"}, "plane": {"grid": [4, 3]}}}
    s = {"dataset": "mnist", "model": "mlp", "depth": 3, "width": 16}
    n = datasets.info("mnist").n_train + datasets.info("mnist").n_test
    fwd = cost.forward_flops(s)
    assert cost.layer_count({**SETTING, **s}) == 3
    assert cost.analysis_cost({**SETTING, **s}, "plane", 2, config) == 2 * 12 * fwd * n
    assert cost.analysis_cost({**SETTING, **s}, "layerwise", 1, config) == (2 + 4 * 3) * fwd * n
    assert cost.analysis_cost({**SETTING, **s}, "align", 1, config) == 3 * fwd * n


def _agg(aligned_shift):
    """An aggregated barriers table of two settings x two pairs (lmc.aggregate.barriers's columns)."""
    import pandas as pd

    rows = []
    for cell, (label, opt) in enumerate((("SGD ↑Lr", "sgd"), ("ADAM ↑Lr", "adam"))):
        for pair in (0, 1):
            r = {"cell": cell, "pair": pair, "label": label, "run_id": f"r{cell}", "diverged": False,
                 "dataset": "mnist", "dataset_title": "MNIST", "model": "mlp", "depth": 2, "width": 8,
                 "optimizer": opt, "lr": 0.1, "epochs": 2, "init": "torch_default", "init_scale": 1.0,
                 "warmup_fraction": 0.0, "batch_size": 64, "test_acc_a": 0.9, "test_acc_b": 0.92}
            for split in ("train", "test"):
                r[f"{split}_error_barrier"] = 0.1 + 0.02 * pair + 0.1 * cell
                r[f"aligned_{split}_error_barrier"] = r[f"{split}_error_barrier"] - aligned_shift
            rows.append(r)
    return pd.DataFrame(rows)


def test_tables_gain_aligned_rows_with_their_numbers():
    from lmc.report import aligned_rows, paper_tables

    t = aligned_rows.with_aligned(paper_tables.table2, _agg(0.05))
    labels = [r[0] for r in t.rows]
    assert labels == ["%B_train", "%B_train (aligned)", "%B_test", "%B_test (aligned)", "Acc_test (%)"]
    assert t.rows[3][1:] == ["6.00 ± 1.41", "16.00 ± 1.41"]
    assert t.rows[2][1:] == ["11.00 ± 1.41", "21.00 ± 1.41"]
    assert set(t.numbers["path"]) == {"naive", "aligned"}
    al = t.numbers[t.numbers["path"] == "aligned"]
    assert set(al["metric"]) == {"error_barrier"} and al["mean"].round(6).tolist() == [6, 16, 6, 16]
    t1 = aligned_rows.with_aligned(paper_tables.figure2, _agg(0.0))   # a row per setting, its twin under it
    assert [r[0] for r in t1.rows] == ["MLP", "MLP (aligned)"] and t1.rows[1][1:] == t1.rows[0][1:]
    naive_only = _agg(0.0).drop(columns=[c for c in _agg(0).columns if c.startswith("aligned_")])
    rows = aligned_rows.with_aligned(paper_tables.table2, naive_only).rows
    assert [r[0] for r in rows][:2] == ["%B_train", "%B_test"]
