"""`make quick`'s plan and report (lmc.config.plan, tools/quick.py): the dry run's job table and
folders, the estimate scaled from a measurement, one-line errors for a bad measurement
file, and the whole flow (plan line first, Snakemake, the files to open last) against a
fake snakemake."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lmc.config import plan

ROOT = Path(__file__).resolve().parents[1]

DRY_RUN = """Building DAG of jobs...
Job stats:
job                 count
----------------  -------
convert                 1
train_setting           3
all                     1
total                   5

[Thu Dec  3 19:29:39 2026]
rule convert:
    input: resources/datasets/fashion_mnist/manifest.json
    output: results/datasets/fashion_mnist/train.beton, results/datasets/fashion_mnist/test.beton
    log: results/logs/convert/fashion_mnist.log
    jobid: 4
[Thu Dec  3 19:29:39 2026]
rule train_setting:
    output: results/runs/abc/pair0/a.pt
    log: results/runs/abc/train.log
    benchmark: results/runs/abc/train.bench.tsv
"""

MEASURED = plan.Measurement(date="2026-12-03", machine="test CPU, 2 cores", gflops_per_core=20.0, cores=2,
                            jobs=100, wall_s=600.0, note="idle machine")


def test_jobs_per_rule_reads_the_job_stats_table():
    assert plan.jobs_per_rule(DRY_RUN) == {"convert": 1, "train_setting": 3, "all": 1}
    assert plan.jobs_per_rule("Building DAG of jobs...\nNothing to be done (all requested") == {}


def test_written_folders_are_the_outputs_logs_and_benchmarks():
    assert plan.written_folders(DRY_RUN) == {"results/datasets", "results/logs", "results/runs"}


def test_estimate_scales_by_jobs_speed_and_cores():
    assert plan.estimate_s(MEASURED, 100, 2, 20.0) == pytest.approx(600)
    assert plan.estimate_s(MEASURED, 50, 2, 20.0) == pytest.approx(300)
    assert plan.estimate_s(MEASURED, 100, 2, 10.0) == pytest.approx(1200)      # half as fast per core
    assert plan.estimate_s(MEASURED, 100, 1, 20.0) == pytest.approx(1200)      # one core
    assert plan.estimate_s(MEASURED, 100, 8, 20.0) == pytest.approx(600)       # more cores: not credited


def test_plan_line_says_jobs_time_and_what_it_stands_on():
    line = plan.plan_line(50, 2, 10.0, MEASURED)
    assert line.startswith("50 jobs to run (snakemake -n), about 10.0 min on 2 cores")
    assert "100 jobs in 10.0 min" in line and "2026-12-03" in line and "test CPU" in line
    assert "this machine: 10 GFLOP/s per core" in line and "idle machine" in line
    assert "no measured run" in plan.plan_line(50, 2, 10.0, None)
    line = plan.plan_line(50, 2, 10.0, None, pflop=0.01)
    # 1e13 FLOP at 2 x 10 GFLOP/s = 500 s, plus 50 start-ups of 3.6 s on 2 cores = 90 s
    assert line.startswith("50 jobs to run (snakemake -n), about 9.8 min on 2 cores from `python -m lmc.")
    assert "0.010 PFLOP" in line and "no measured run" in line
    assert plan.plan_line(0, 2, 10.0, MEASURED).startswith("nothing to run")


def test_measurement_round_trip_and_one_line_errors(tmp_path):
    path = tmp_path / "quick.json"
    assert plan.load_measurement(path) is None
    plan.save_measurement(MEASURED, path)
    assert plan.load_measurement(path) == MEASURED
    good = json.loads(path.read_text())
    bad = {
        "{": "not JSON",
        "[1, 2]": "expected a mapping",
        json.dumps({k: v for k, v in good.items() if k != "wall_s"}): "missing key 'wall_s'",
        json.dumps({**good, "jobs": 0}): "jobs must be a positive number, got 0",
        json.dumps({**good, "cores": "two"}): "cores must be a positive number",
    }
    for text, message in bad.items():
        path.write_text(text)
        with pytest.raises(plan.PlanError) as e:
            plan.load_measurement(path)
        assert str(e.value).startswith(f"{path}: {message}") and "\n" not in str(e.value)
        assert "tools/quick.py --record" in str(e.value)


def test_compute_estimate_is_lmc_costs_total():
    from lmc.config import cost

    configs = [str(ROOT / "config.yaml"), str(ROOT / "config/quick.yaml")]
    total = cost.cost_table(cost.load(configs)).iloc[-1]
    pflop = plan.compute_pflop(configs)
    assert pflop == pytest.approx(total["train_pflop"] + total["eval_pflop"] + total["analyses_pflop"])
    assert 0 < pflop < 1
    startups = 10 * plan.STARTUP_S / 2
    slow, fast = plan.cost_estimate_s(pflop, 10, 2, 20.0), plan.cost_estimate_s(pflop, 10, 2, 40.0)
    assert slow - startups == pytest.approx(2 * (fast - startups))


def test_matmul_rate_is_measured():
    assert 0.1 < plan.matmul_gflops(n=256, reps=2) < 1e5


def test_done_lines_name_the_first_files_and_mark_missing_ones(tmp_path):
    (tmp_path / "results/tables").mkdir(parents=True)
    (tmp_path / plan.FIRST_FILES[0]).write_text("x")
    lines = plan.done_lines(tmp_path, report_command="snakemake --report r.html")
    assert lines[0] == "Open first:" and lines[1] == f"  {plan.FIRST_FILES[0]}"
    assert lines[2].endswith("(missing!)") and lines[-1].endswith("snakemake --report r.html")


FAKE_SNAKEMAKE = """#!/bin/sh
# a stand-in for snakemake: a dry run prints a job table, a run writes the first files
printf "%s\\n" "$*" >> calls.txt
case " $* " in
  *" -n "*) printf 'Job stats:\\njob  count\\n---  -----\\ntrain  7\\nall  1\\ntotal  8\\n' >&2 ;;
  *) sleep 0.2; echo "8 of 8 steps (100%) done" >&2; mkdir -p results/tables results/figures
     touch results/tables/claims.md results/tables/table2.md results/figures/figure1.png
     exit ${FAKE_RC:-0} ;;
esac
"""


def run_quick(tmp_path, *args, rc="0"):
    fake = tmp_path / "snakemake"
    fake.write_text(FAKE_SNAKEMAKE)
    fake.chmod(0o755)
    (tmp_path / "config").mkdir(exist_ok=True)       # what lmc.config.cost reads for the estimate
    shutil.copy(ROOT / "config.yaml", tmp_path)
    shutil.copy(ROOT / "config/quick.yaml", tmp_path / "config")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAKE_RC": rc}
    return subprocess.run([sys.executable, str(ROOT / "tools/quick.py"), "--snakemake", str(fake), *args],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)


def test_make_quick_plans_runs_and_points_to_the_files(tmp_path):
    plan.save_measurement(MEASURED, tmp_path / plan.MEASUREMENT)
    proc = run_quick(tmp_path, "--cores", "2")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert re.match(r"make quick: 8 jobs to run \(snakemake -n\), about [\d.]+ min on 2 cores", out[0]), out
    assert out[1] == "make quick: 8 jobs done in " + out[1].split(" in ")[1]
    assert out[2:6] == ["Open first:", *(f"  {f}" for f in plan.FIRST_FILES)]
    assert "snakemake --report results/report.html --configfile=config/quick.yaml" in out[6]
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    assert calls == ["-n all --configfile config/quick.yaml", "--cores 2 all --configfile config/quick.yaml"]


def test_make_quick_failure_says_so_and_keeps_the_exit_code(tmp_path):
    proc = run_quick(tmp_path, rc="3")
    assert proc.returncode == 3 and "no measured run" in proc.stdout and "lmc.config.cost" in proc.stdout
    assert "Snakemake failed after" in proc.stderr and "Open first" not in proc.stdout


def test_record_writes_the_measurement_only_from_an_empty_results(tmp_path):
    proc = run_quick(tmp_path, "--record", "--note", "a test")
    assert proc.returncode == 0, proc.stderr
    measured = plan.load_measurement(tmp_path / plan.MEASUREMENT)
    assert measured.jobs == 8 and measured.cores == 2 and measured.note == "a test"
    proc = run_quick(tmp_path, "--record")          # results/ exists now
    assert proc.returncode == 1 and "results/ exists" in proc.stderr


def test_paper_only_runs_the_papers_tables_and_figures_and_records_apart(tmp_path):
    proc = run_quick(tmp_path, "--paper-only", "--record")
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    targets = calls[1].split()[2:-2]                 # between "--cores 2" and "--configfile FILE"
    assert targets[:3] == [
        "results/tables/table1.md", "results/tables/figure1.md", "results/figures/figure1.png"]
    assert "results/tables/table3.md" in targets and "results/figures/figure5.png" in targets
    assert not any(n in t for t in targets for n in ("claims", "initialisation", "instability", "over_time",
                                                     "comparison", "all"))
    assert (tmp_path / "docs/performance/quick-paper.json").exists()
    assert not (tmp_path / plan.MEASUREMENT).exists()      # the whole preset's measurement is untouched
