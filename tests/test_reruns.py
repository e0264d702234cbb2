"""What re-runs what: operational keys re-run nothing, adding pairs trains the new pairs
only where the packing allows it (the table in docs/reliability.md, checked with
`snakemake -n` on a finished run)."""
from __future__ import annotations

import pytest
from conftest import copy_workflow, jobs_per_rule, tiny_config


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


def test_adding_pairs_trains_only_the_new_ones_and_keeps_the_old_files(finished_workflow, digits_folder,
                                                                       tmp_path):
    """pairs 2 -> 3 with one job per setting: Snakemake re-runs each setting's job (deleting
    pairs 0 and 1 first); the job restores them from results/runs/<run>/.kept (identity and
    bytes checked) and trains pair 2 alone. Their provenance.json (times, host) is unchanged
    too: they were not trained again."""
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    runs = sorted(p for p in (wf.path / "results/runs").iterdir() if p.is_dir())
    before = {p: p.read_bytes() for run in runs for k in (0, 1) for p in (run / f"pair{k}").iterdir()}
    wf.write_config(tiny_config(digits_folder, pairs=3), "pairs3.yaml")
    wf.snakemake("--cores", "1", "all", "--configfile", "pairs3.yaml")
    assert {p: p.read_bytes() for p in before} == before
    for run in runs:
        log = (run / "train.log").read_text()
        assert "restored 2 kept pair(s) trained before, unchanged" in log and "training the other 1" in log
        assert (run / "pair2/a.pt").exists() and (run / ".kept/pair2/manifest.json").exists()
    # a re-run asked for (every pair kept) trains every pair again, as asked
    wf.snakemake("--cores", "1", "all", "--configfile", "pairs3.yaml", "--forcerun", "train_setting")
    assert "restored" not in (runs[0] / "train.log").read_text()
    assert {p: p.read_bytes() for p in before if p.name != "provenance.json"} == {
        p: b for p, b in before.items() if p.name != "provenance.json"}
