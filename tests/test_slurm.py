"""profiles/slurm against a real single-node SLURM cluster (tools/slurm-cluster.sh) with
two fake GPUs, running the standalone workflow tests/data/slurm_smoke/Snakefile.

Needs root (the fixture installs/starts SLURM and munge); skipped otherwise. About a
minute: every SLURM job costs ~5 s (snakemake starts inside sbatch and srun) and the
plugin polls squeue at growing intervals.

    PYTHONPATH=$PWD python -m pytest -m slurm tests/test_slurm.py
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:  # tests/ is on sys.path under pytest's default import mode
    from slurm_cluster import slurm_cluster  # noqa: F401
except ImportError:  # pragma: no cover - tests imported as a package
    from tests.slurm_cluster import slurm_cluster  # noqa: F401

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "tests" / "data" / "slurm_smoke" / "Snakefile"
PROFILE = REPO / "profiles" / "slurm"
KILL_AFTER_S = 300


def snakemake(env: dict, workdir: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """`snakemake --profile profiles/slurm` on the smoke workflow, hard-killed after 300 s
    (the plugin can hang and ignores SIGTERM)."""
    cmd = ["timeout", "-s", "KILL", str(KILL_AFTER_S), sys.executable, "-m", "snakemake",
           "-s", str(SNAKEFILE), "-d", str(workdir), "--profile", str(PROFILE), *args]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    assert proc.returncode != 137, f"snakemake killed after {KILL_AFTER_S} s (hung?):\n{proc.stderr[-4000:]}"
    return proc, elapsed


def test_slurm_profile_gpu_jobs_failure_and_rerun(slurm_cluster, tmp_path):
    env = slurm_cluster
    wd = tmp_path / "wd"
    wd.mkdir()

    # Run 1: two GPU jobs, the aggregate, and a job that fails (retried once by the
    # profile). keep-going: everything else completes; snakemake reports the failure.
    first, t_first = snakemake(env, wd, "--config", "fail=True")
    log = first.stdout + first.stderr
    assert first.returncode == 1, log[-4000:]
    assert "Error in rule failing" in log, log[-4000:]
    log_paths = re.findall(r"log: (\S+/\.snakemake/slurm_logs/rule_failing/\d+\.log)", log)
    assert log_paths, f"failing job's SLURM log path not reported:\n{log[-4000:]}"
    for path in log_paths:
        assert "deliberate failure of rule failing" in Path(path).read_text(), path
    assert not (wd / "results" / "fail.txt").exists()

    # Completed outputs stay; the GPU jobs saw CUDA_VISIBLE_DEVICES set by SLURM.
    probes = sorted((wd / "results" / "gpu").glob("*.txt"))
    assert [p.name for p in probes] == ["0.txt", "1.txt"]
    for p in probes:
        assert re.fullmatch(r"\d+(,\d+)*", p.read_text().strip()), \
            f"{p}: CUDA_VISIBLE_DEVICES={p.read_text().strip()!r}"
    summary = wd / "results" / "summary.txt"
    assert summary.read_text().split() == [p.read_text().strip() for p in probes]
    done = {p: p.stat().st_mtime_ns for p in probes + [summary]}

    # Run 2: the cause is fixed; only the failed job runs, the completed ones are kept.
    (wd / "ok.flag").touch()
    second, t_second = snakemake(env, wd, "--config", "fail=True")
    log2 = second.stdout + second.stderr
    assert second.returncode == 0, log2[-4000:]
    assert (wd / "results" / "fail.txt").read_text().strip() == "ok"
    assert "rule failing:" in log2
    assert "rule gpu_probe:" not in log2 and "rule aggregate:" not in log2, log2[-4000:]
    assert {p: p.stat().st_mtime_ns for p in done} == done

    # Nothing left running on the cluster.
    queue = subprocess.run(["squeue", "-h", "-t", "PD,R,CG", "-o", "%i %T"], env=env,
                           capture_output=True, text=True, timeout=30)
    assert queue.returncode == 0 and queue.stdout.strip() == "", queue.stdout + queue.stderr
    print(f"run 1 (4 jobs, 1 failing twice): {t_first:.1f} s; run 2 (rerun): {t_second:.1f} s")


def test_pipeline_runs_through_the_slurm_profile(slurm_cluster, tmp_path, digits_folder):
    """The project's own workflow, a tiny config, submitted job by job to SLURM."""
    import pandas as pd
    from conftest import ROOT, Workflow, tiny_config

    wf = Workflow(tmp_path / "wf")
    cfg = tiny_config(digits_folder, pairs=1)
    cfg["defaults"]["epochs"] = 1
    wf.write_config(cfg)
    env = dict(slurm_cluster, PYTHONPATH=str(ROOT))
    cmd = ["timeout", "-s", "KILL", str(KILL_AFTER_S), sys.executable, "-m", "snakemake", "--profile",
           str(PROFILE), "all"]
    proc = subprocess.run(cmd, cwd=wf.path, env=env, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    agg = pd.read_csv(wf.path / "results/barriers/table2.csv")
    assert len(agg) == 2 and (agg[["test_acc_a", "test_acc_b"]] > 0.3).all().all()
    assert (wf.path / "results/tables/table2.md").exists()
    # one SLURM job per setting: training and its short interpolation grouped together
    assert len(re.findall(r"submitted with SLURM jobid \d+ \(log: \S+/group_setting", log)) == 2, log[-3000:]
    assert "rule_interpolate" not in log and "rule_train_setting" not in log
