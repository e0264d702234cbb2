"""Real `snakemake` runs of the whole DAG on a small fabricated dataset."""
from __future__ import annotations

import re

import pandas as pd
import pytest
import torch
from conftest import assert_config_error, jobs_per_rule, tiny_config


@pytest.fixture(scope="module")
def finished(finished_workflow):
    """The tiny config run to completion once (shared with tests/test_data_integrity.py);
    tests below inspect and re-plan it, and change no file of it."""
    return finished_workflow


def test_whole_dag_produces_table_figure_and_index(finished):
    wf, _ = finished
    res = wf.path / "results"
    agg = pd.read_csv(res / "barriers/table2.csv")
    assert len(agg) == 4 and sorted(agg["pair"]) == [0, 0, 1, 1]             # 2 settings x 2 pairs
    assert set(agg["label"]) == {"SGD ↑Lr", "ADAM ↓Lr"} and not agg["diverged"].any()
    # the fabricated task is learnable: endpoints well above chance (10%)
    assert (agg[["test_acc_a", "test_acc_b"]] > 0.5).all().all()
    paths = pd.read_csv(res / "barriers/table2_paths.csv")
    assert len(paths) == 4 * 2 * 5                                            # pairs x splits x alphas
    # the table shows exactly the aggregated numbers, as mean ± std over the 2 pairs
    md = (res / "tables/table2.md").read_text()
    sgd = agg[agg["cell"] == 0]["train_error_barrier"] * 100
    assert f"{sgd.mean():.2f} ± {sgd.std(ddof=1):.2f}" in md
    assert "MNIST; 2 pair(s) per setting; 2 epochs" in md
    assert "\\begin{tabular}" in (res / "tables/table2.tex").read_text()
    for ext in ("png", "pdf"):
        assert (res / f"figures/table2_paths.{ext}").stat().st_size > 5000
    index = pd.read_csv(res / "runs/index.csv")
    assert len(index) == 2 and set(index["optimizer"]) == {"sgd", "adam"}
    for run in index["run_id"]:
        assert (res / "runs" / run / "setting.json").exists()
        assert not (res / "runs" / run / "train_state.pt").exists()
        assert "=== attempt started" in (res / "runs" / run / "train.attempts.log").read_text()
        train_log = (res / "runs" / run / "train.log").read_text()
        assert re.search(r"start-up [\d.]+ s, compute [\d.]+ s, wall-clock", train_log)
    prov = pd.read_csv(res / "runs/provenance.csv")
    assert sorted(prov["run_id"]) == sorted(list(index["run_id"]) * 2) and set(prov["pair"]) == {0, 1}
    assert (prov["startup_seconds"] > 0).all() and (prov["wall_seconds"] > prov["startup_seconds"]).all()
    assert set(prov["torch"]) == {torch.__version__} and prov["device"].str.startswith("cpu").all()
    assert (res / "runs" / index["run_id"][0] / "pair1/provenance.json").exists()
    # interpolate logs its start-up and compute apart
    log = (res / "runs" / index["run_id"][0] / "interpolate.log").read_text()
    assert "start-up" in log and "compute" in log and "2 pair(s) x 5 points on train, test" in log


def test_nothing_to_do_when_nothing_changed(finished):
    wf, _ = finished
    out = wf.snakemake("-n", "all").stdout
    assert "Nothing to be done" in out


def test_changing_one_setting_reruns_only_that_setting(finished, digits_folder):
    wf, _ = finished
    cfg = tiny_config(digits_folder)
    cfg["artefacts"]["table2"]["grid"][0][1]["lr"] = 0.002               # the Adam setting only
    wf.write_config(cfg, "changed.yaml")
    out = wf.snakemake("-n", "all", "--configfile", "changed.yaml").stdout
    jobs = jobs_per_rule(out)
    assert jobs["train_setting"] == 1 and jobs["interpolate"] == 1 and "setting" not in jobs, jobs
    assert "download" not in jobs and "convert" not in jobs, jobs
    assert jobs["aggregate"] == 1 and jobs["render_table2"] == 1


def test_changing_alphas_reruns_interpolation_only(finished, digits_folder):
    wf, _ = finished
    cfg = tiny_config(digits_folder, alphas=[0.0, 0.5, 1.0])
    wf.write_config(cfg, "alphas.yaml")
    jobs = jobs_per_rule(wf.snakemake("-n", "all", "--configfile", "alphas.yaml").stdout)
    assert jobs == {"interpolate": 2, "aggregate": 1, "render_table2": 1, "all": 1}, jobs


def test_lint_is_clean(finished):
    wf, _ = finished
    proc = wf.snakemake("--lint")
    out = proc.stdout + proc.stderr
    assert "Lints for" not in out
    assert "Congratulations, your workflow is in a good condition!" in out


BAD_CONFIGS = {
    "misspelt key": ({"defaults": {"lerning_rate": 0.1}},
                     "config error at defaults.lerning_rate: unknown key"),
    "wrong type": ({"pairs": "three"}, "config error at pairs: 'three' is not of type 'integer'"),
    "unknown dataset": ({"defaults": {"dataset": "imagenet"}},
                        "config error at defaults.dataset: 'imagenet' is not one of"),
    "unknown model": ({"artefacts": {"table2": {"base": {"model": "resnet"}}}},
                      "config error at artefacts.table2.base.model"),
    "unknown init scheme": ({"defaults": {"init": "he_normal"}},
                            "config error at defaults.init: 'he_normal' is not one of"),
    "init_scale not positive": ({"defaults": {"init_scale": 0}},
                                "config error at defaults.init_scale: 0 is less than or equal to "
                                "the minimum of 0"),
    "alphas not from 0 to 1": ({"alphas": [0.1, 0.5, 1.0]},
                               "config error at alphas: [0.1, 0.5, 1.0] must ascend strictly from 0.0"),
    "alphas not ascending": ({"alphas": [0.0, 0.5, 0.25, 1.0]}, "config error at alphas:"),
    "batch as large as the split": ({"defaults": {"batch_size": 100000}},
                                    "config error at artefacts.table2: batch_size 100000 is not below "
                                    "the 60000 training images of MNIST"),
    "unknown artefact to build": ({"build": ["figure9"]}, "config error at build.0: 'figure9' is not one of"),
    "artefact to build not configured": ({"build": ["figure1"]},
                                         "config error: build: figure1 not under artefacts"),
    "pairs_per_job below 1": ({"pairs_per_job": 0}, "config error at pairs_per_job: 0"),
    "pairs_per_job not a number": ({"pairs_per_job": "some"},
                                   "config error at pairs_per_job: 'all' was expected"),
    "bundle below 1": ({"bundle": 0}, "config error at bundle: 0 is less than the minimum of 1"),
    "bundle with pairs_per_job": ({"bundle": 2, "pairs_per_job": 1},
                                  "config error: bundle: 2 with pairs_per_job: 1: a bundle trains every pair "
                                  "of its settings"),
    "missing offline dataset": ({"offline_sources": {"fashion_mnist": "/nonexistent/fmnist"}},
                                "config error at offline_sources.fashion_mnist "
                                "(or LMC_OFFLINE_FASHION_MNIST): folder /nonexistent/fmnist does not exist"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_input_stops_with_one_line_and_loses_nothing(finished, case):
    wf, _ = finished
    assert_config_error(wf, *BAD_CONFIGS[case])
