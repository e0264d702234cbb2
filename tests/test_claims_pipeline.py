"""The claims table made by a real `snakemake` run from the tiny config's trained pairs:
the rule reads the aggregated barriers and nothing is trained again for it."""
from __future__ import annotations

import pandas as pd
from conftest import copy_workflow, jobs_per_rule, tiny_config

from lmc.paper import trained


def test_claims_rendered_from_the_runs(finished_workflow, digits_folder, tmp_path):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    cfg = tiny_config(digits_folder)
    cfg["artefacts"]["claims"] = {}
    wf.write_config(cfg)
    proc = wf.snakemake("--cores", "1", "claims")
    assert jobs_per_rule(proc.stdout + proc.stderr) == {"render_claims": 1, "claims": 1}   # nothing retrained
    res = wf.path / "results"
    md = (res / "tables/claims.md").read_text()
    assert "“Switching to the ADAM optimizer results in a significantly less connected model.”" in md
    numbers = pd.read_csv(res / "tables/claims.csv")
    assert {"claim", "section", "quote", "verdict", "reason", "not_trained"} <= set(numbers.columns)
    # the minimal model's verdict follows the runs: not trained below MNIST's 90 % floor,
    # else judged pair by pair against 2 %
    agg = pd.read_csv(res / "barriers/table2.csv")
    sgd = agg[agg["optimizer"] == "sgd"]
    minimal = numbers[numbers["claim"].str.startswith("The minimal model")].iloc[0]
    if (sgd[["test_acc_a", "test_acc_b"]] < trained.accuracy_floor("mnist")).any().any():
        assert minimal["verdict"] == "not testable at this scale" and "did not train" in minimal["reason"]
        assert bool(minimal["not_trained"])
    else:
        assert "every pair's test barrier below 2 %" in minimal["reason"]
    # claims of artefacts the tiny config lacks are not testable, and say so
    assert numbers[numbers["claim"].str.startswith("Logistic")]["reason"].str.contains("config has no").all()
