"""The analyses beyond the paper (rules/analyses.smk) in real `snakemake` runs on the
fabricated dataset: switched on over the finished tiny workflow they retrain nothing,
and their files hold numbers that agree with each other and with the naive path."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import assert_config_error, copy_workflow, jobs_per_rule, tiny_config

from lmc.analyses import alignment
from lmc.evaluate import barrier
from lmc.train import loop
from lmc.util import io


def _config(digits, **analysis):
    cfg = tiny_config(digits)
    cfg["analysis"]["plane"] = {"grid": [4, 3], "margin": 0.1}
    cfg["analysis"].update(analysis)
    cfg["artefacts"]["table2"]["analyses"] = ["align", "layerwise", "plane", "derivatives"]
    # independent initialisations (one init seed per member), aligned and layer-wise
    base = {"depth": 2, "slope": 0.0, "optimizer": "sgd", "shared_init": False}
    cfg["artefacts"]["figure2"] = {"analyses": ["align", "layerwise", "derivatives"], "base": base,
                                   "grid": [[{"model": "mlp"}], {"lr": [0.1]}]}
    return cfg


@pytest.fixture(scope="module")
def analysed(finished_workflow, digits_folder, tmp_path_factory):
    base, _ = finished_workflow
    wf = copy_workflow(base, tmp_path_factory.mktemp("analysed") / "wf")
    wf.write_config(_config(digits_folder))
    jobs = jobs_per_rule(wf.snakemake("-n", "all").stdout)
    wf.snakemake("--cores", "2", "all", timeout=1800)     # ~20 jobs, most of them start-up
    return wf, jobs


def _agg(wf, artefact="table2"):
    return pd.read_csv(wf.path / f"results/barriers/{artefact}.csv")


def test_switching_analyses_on_retrains_nothing(analysed):
    _, jobs = analysed
    # only figure2's new (independent-init) setting trains; table2's runs are reused
    assert jobs["train_setting"] == 1 and jobs["interpolate"] == 1, jobs      # one job per setting
    # one job per artefact and analysis (table2's two settings in one, figure2's one)
    assert jobs["align_pairs_table2_mnist"] == 1 and jobs["align_pairs_figure2_mnist"] == 1, jobs
    assert jobs["layerwise_barriers_table2_mnist"] == jobs["layerwise_barriers_figure2_mnist"] == 1, jobs
    assert jobs["plane_grid"] == 2, jobs                  # one job per setting, both pairs in it
    assert jobs["path_derivatives_table2_mnist"] == 1 and jobs["path_derivatives_figure2_mnist"] == 1, jobs
    assert jobs["render_barrier_prediction"] == 1, jobs


def test_aligned_b_is_b_permuted_and_computes_the_same_function(analysed):
    wf, _ = analysed
    agg = _agg(wf)
    for _, row in agg.iterrows():
        pair = wf.path / f"results/runs/{row['run_id']}/pair{row['pair']}"
        record = json.loads((pair / "align_weight/permutation.json").read_text())
        assert record["method"] == "weight" and record["seed"] == 0 and record["converged"]
        setting = json.loads((pair.parent / "setting.json").read_text())
        b = io.load_weights(pair / "b.pt")
        aligned = io.load_weights(pair / "align_weight/b.pt")
        expected = alignment.permute(setting, b, record["permutation"])
        assert all(torch.equal(aligned[k], expected[k]) for k in b)
        assert sorted(record["permutation"]["hidden1"]) == list(range(32))
        naive = pd.read_csv(pair / "interpolation.csv")
        path = pd.read_csv(pair / "align_weight/interpolation.csv")
        assert list(path["alpha"]) == list(naive["alpha"]) and set(path["split"]) == {"train", "test"}
        for alpha in (0.0, 1.0):          # the same A, and a B that computes the same function
            n, p = naive[naive["alpha"] == alpha], path[path["alpha"] == alpha]
            assert np.allclose(n["error"], p["error"], atol=1e-12) and np.allclose(n["loss"], p["loss"], 1e-5)
        # the aggregated aligned barrier is Eq. 1 on the aligned path
        test = path[path["split"] == "test"].sort_values("alpha")
        assert row["aligned_test_error_barrier"] == pytest.approx(
            barrier.error_barrier(test["alpha"], test["error"]), abs=1e-9)
        assert row["test_error_barrier"] == pytest.approx(
            barrier.error_barrier(naive[naive["split"] == "test"]["alpha"],
                                  naive[naive["split"] == "test"]["error"]), abs=1e-9)


def test_tables_and_path_figures_show_aligned_beside_naive(analysed):
    wf, _ = analysed
    agg = _agg(wf)
    md = (wf.path / "results/tables/table2.md").read_text()
    sgd = agg[agg["cell"] == 0]["aligned_test_error_barrier"] * 100
    aligned_row = next(line for line in md.splitlines() if line.startswith("| %B_test (aligned)"))
    assert f"{sgd.mean():.2f} ± {sgd.std(ddof=1):.2f}" in aligned_row
    assert set(agg["align_method"]) == {"weight"}
    numbers = pd.read_csv(wf.path / "results/tables/table2.csv")
    assert set(numbers["path"]) == {"naive", "aligned"}
    paths = pd.read_csv(wf.path / "results/barriers/table2_paths.csv")
    assert paths.groupby("path").size().to_dict() == {"naive": 40, "aligned": 40}
    for name in ("table2_paths", "figure2_paths", "table2_layerwise", "table2_plane", "figure2_layerwise"):
        assert (wf.path / f"results/figures/{name}.png").stat().st_size > 5000


def test_layerwise_barriers_agree_with_the_path(analysed):
    wf, _ = analysed
    agg = _agg(wf)
    lw = pd.read_csv(wf.path / "results/barriers/table2_layerwise.csv")
    # pairs x split x variant x layer x base
    assert set(lw["layer"]) == {"layers.0", "layers.1"} and len(lw) == 4 * 2 * 2 * 2 * 2
    for _, row in agg.iterrows():
        pair = wf.path / f"results/runs/{row['run_id']}/pair{row['pair']}"
        naive = pd.read_csv(pair / "interpolation.csv")
        mine = lw[(lw["run_id"] == row["run_id"]) & (lw["pair"] == row["pair"])]
        for split in ("train", "test"):
            curve = naive[naive["split"] == split].set_index("alpha")["error"]
            mid = curve[0.5] - 0.5 * (curve[0.0] + curve[1.0])
            last = mine[(mine["split"] == split) & (mine["variant"] == "cumulative")
                        & (mine["layer_index"] == 2)]
            assert np.allclose(last["error_barrier"], mid, atol=1e-9)         # all layers averaged = Θ(½)
    table = (wf.path / "results/tables/table2_layerwise.md").read_text()
    assert "SGD ↑Lr: 1. layers.0" in table and "layers 1..l averaged: test" in table


def test_path_derivatives_agree_with_the_path_and_the_layerwise_networks(analysed):
    """Two code paths, one loss: the derivatives job's ℓ(0), ℓ(½), ℓ(1) are the interpolation's
    train losses, and each layer's ℓ_l(½) is the layer-wise job's "A with layer l averaged";
    the prediction table holds every pair, its numbers the ones derived from those files."""
    wf, _ = analysed
    pairs = pd.read_csv(wf.path / "results/barriers/barrier_prediction_pairs.csv")
    layers = pd.read_csv(wf.path / "results/barriers/barrier_prediction_layers.csv")
    assert len(pairs) == 6 and set(pairs["artefact"]) == {"table2", "figure2"}
    assert len(layers) == 6 * 2 and set(layers["layer"]) == {"layers.0", "layers.1"}
    for _, row in _agg(wf).iterrows():
        pair = wf.path / f"results/runs/{row['run_id']}/pair{row['pair']}"
        record = json.loads((pair / "derivatives.json").read_text())
        train = pd.read_csv(pair / "interpolation.csv").query("split == 'train'").set_index("alpha")["loss"]
        assert np.allclose(record["loss"], [train[0.0], train[0.5], train[1.0]], rtol=1e-5)
        assert record["samples"] == len(np.load(wf.path / "results/datasets/mnist/train.labels.npy"))
        assert record["init_angle_deg"] is not None and 0 < record["init_angle_deg"] < 180
        lw = pd.read_csv(pair / "layerwise.csv")
        for layer in record["layers"]:
            averaged = lw[(lw["split"] == "train") & (lw["variant"] == "single") & (lw["base"] == "a")
                          & (lw["layer"] == layer["layer"])]
            assert layer["loss_at_a"] == pytest.approx(record["loss"][0], rel=1e-6)        # A itself
            assert layer["loss_at_mid"] == pytest.approx(float(averaged["loss"].iloc[0]), rel=1e-5)
        mine = pairs[(pairs["run_id"] == row["run_id"]) & (pairs["pair"] == row["pair"])].iloc[0]
        s0, s1 = record["slope"][0], record["slope"][2]
        c0, c1 = record["curvature"][0], record["curvature"][2]
        assert mine["predicted_quintic"] == pytest.approx(5 * (s0 - s1) / 32 + (c0 + c1) / 64, rel=1e-9)
        # measured on the derivatives' own samples (here all of them, so also the path's, to the
        # precision of the path's float32 sums and 10-digit CSV)
        own = record["loss"][1] - (record["loss"][0] + record["loss"][2]) / 2
        assert mine["loss_barrier_mid"] == pytest.approx(own, rel=1e-9)          # the CSV's 10 digits
        assert mine["loss_barrier_mid"] == pytest.approx(train[0.5] - (train[0.0] + train[1.0]) / 2, abs=1e-6)
    figure2 = pairs[pairs["artefact"] == "figure2"]
    assert figure2["init_angle_deg"].isna().all()           # independent inits: no shared Θ₀
    table = (wf.path / "results/tables/barrier_prediction.md").read_text()
    assert "| whole network | quintic | 6 |" in table and "| each layer | taylor | 12 |" in table
    assert (wf.path / "results/figures/barrier_prediction.png").stat().st_size > 10_000


def test_plane_grid_covers_init_a_and_b(analysed):
    wf, _ = analysed
    run = _agg(wf)["run_id"].iloc[0]
    pair = wf.path / f"results/runs/{run}/pair0"
    plane = pd.read_csv(pair / "plane.csv")
    meta = json.loads((pair / "plane.json").read_text())
    assert len(plane) == 2 * 4 * 3 and meta["shape"] == [4, 3]
    anchors = meta["anchors"]
    a, b, init = (io.load_weights(pair / f) for f in ("a.pt", "b.pt", "init.pt"))
    dist = lambda s, t: float(torch.cat([(s[k] - t[k]).double().reshape(-1) for k in s]).norm())  # noqa: E731
    assert anchors["a"][0] == pytest.approx(dist(a, init), rel=1e-6)
    assert np.hypot(*np.subtract(anchors["b"], anchors["a"])) == pytest.approx(dist(a, b), rel=1e-6)
    xs, ys = sorted(set(plane["x"])), sorted(set(plane["y"]))
    span = max(anchors["a"][0], anchors["b"][0]) - min(0, anchors["b"][0])
    assert xs[0] == pytest.approx(min(0, anchors["b"][0]) - 0.1 * span)
    assert ys[0] == pytest.approx(-0.1 * anchors["b"][1]) and ys[-1] == pytest.approx(1.1 * anchors["b"][1])
    assert plane["error"].between(0, 1).all() and plane["loss"].gt(0).all()


def test_independent_inits_have_one_seed_per_member_and_alignment_helps(analysed):
    wf, _ = analysed
    agg = _agg(wf, "figure2")
    for _, row in agg.iterrows():
        pair = wf.path / f"results/runs/{row['run_id']}/pair{row['pair']}"
        seeds = json.loads((pair / "seeds.json").read_text())
        setting = json.loads((pair.parent / "setting.json").read_text())
        assert setting["shared_init"] is False and seeds["init_seed_b"] != seeds["init_seed"]
        init_a, init_b = loop.pair_inits(setting, seeds)
        saved = io.load_weights(pair / "init.pt")
        assert all(torch.equal(saved[k], init_a[k]) for k in saved)
        assert not torch.equal(init_a["layers.0.weight"], init_b["layers.0.weight"])
    assert (agg["aligned_test_loss_barrier"] < agg["test_loss_barrier"]).all()


def test_rerun_gives_identical_bytes_and_targets_are_done(analysed):
    wf, _ = analysed
    assert "Nothing to be done" in wf.snakemake("-n", "align", "layerwise", "plane", "all").stdout
    ours = ("layerwise.csv", "plane.csv", "plane.json")
    files = sorted(p for p in (wf.path / "results/runs").rglob("*")
                   if p.is_file() and (p.parent.name.startswith("align_") or p.name in ours))
    assert len(files) == 2 * 3 * 3 + 3 * 2 + 2 * 2 * 2
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    rules = [f"{r}_{a}_mnist" for r in ("align_pairs", "layerwise_barriers") for a in ("table2", "figure2")]
    wf.snakemake("--cores", "2", "all", "--forcerun", *rules, "plane_grid", timeout=1800)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == before


BAD = {
    "unknown analysis": ({"artefacts": {"table2": {"analyses": ["rebasin"]}}},
                         "config error at artefacts.table2.analyses.0: 'rebasin' is not one of"),
    "plane grid below 3 x 3": ({"analysis": {"plane": {"grid": [2, 5], "margin": 0.2}}},
                               "config error at analysis.plane.grid.0: 2 is less than the minimum of 3"),
    "activation matching of the ViT": (
        {"analysis": {"align": {"method": "activation", "seed": 0, "max_sweeps": 10}},
         "artefacts": {"figure2": {"grid": [[{"model": "vit", "heads": 1, "head_dim": 4}], {"lr": [0.1]}]}}},
        "config error at analysis.align.method: activation matching is not supported for the ViT-like model"),
    "plane without a shared init": ({"artefacts": {"figure2": {"analyses": ["plane"]}}},
                                    "config error at artefacts.figure2.analyses: plane needs the shared "
                                    "initialisation"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_analysis_config_stops_with_one_line_and_loses_nothing(analysed, case):
    wf, _ = analysed
    assert_config_error(wf, *BAD[case])
