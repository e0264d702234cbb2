"""What re-runs what: operational keys re-run nothing, adding pairs trains the new pairs
only where the packing allows it (the table in docs/reliability.md, checked with
`snakemake -n` on a finished run)."""
from __future__ import annotations

import pytest
from conftest import jobs_per_rule, tiny_config


def _plan(wf, cfg: dict, name: str) -> str:
    wf.write_config(cfg, name)
    return wf.snakemake("-n", "all", "--configfile", name).stdout


@pytest.mark.parametrize("key, value", [("checkpoint_every", 5), ("device", "cpu"), ("eval_batch_size", 128),
                                        ("threads", 2), ("bundle", 4), ("pairs_per_job", 1)])
def test_an_operational_key_re_runs_nothing(finished_workflow, digits_folder, key, value):
    wf = finished_workflow[0]
    out = _plan(wf, tiny_config(digits_folder, **{key: value}), f"op_{key}.yaml")
    assert "Nothing to be done" in out, jobs_per_rule(out)


def test_adding_pairs_in_a_chunk_of_their_own_trains_only_them(finished_workflow, digits_folder):
    wf = finished_workflow[0]
    cfg = tiny_config(digits_folder, pairs=3, pairs_per_job=2)
    jobs = jobs_per_rule(_plan(wf, cfg, "pairs3_chunked.yaml"))
    # the old pairs 0-1 are one chunk, unchanged; pair 2 is trained alone; every path is
    # evaluated again (one job per setting: identical bytes for the old pairs)
    assert jobs.get("train_setting_pairs2_2") == 2 and "train_setting_pairs0_1" not in jobs, jobs
    assert jobs["interpolate"] == 2 and "convert" not in jobs, jobs


def test_adding_pairs_to_a_setting_trained_in_one_job_re_runs_that_job(finished_workflow, digits_folder):
    wf = finished_workflow[0]
    jobs = jobs_per_rule(_plan(wf, tiny_config(digits_folder, pairs=3), "pairs3.yaml"))
    assert jobs["train_setting"] == 2 and jobs["interpolate"] == 2 and "convert" not in jobs, jobs
