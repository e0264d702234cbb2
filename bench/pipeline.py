"""Whole-pipeline benchmark: one small config run from an empty `results/` with each job
packing, side by side in one run (a script, not a test).

Variants (each in its own copy of the workflow, sharing the imported dataset):

  per-pair     pairs_per_job: 1   one training job per pair (the old granularity)
  per-setting  pairs_per_job: all one training and one interpolation job per setting
  bundle       bundle: N          N settings per training and interpolation job
  baseline     (--baseline REV)   the workflow as it was at git revision REV (e.g. the
                                  one-job-per-pair, FFCV-decoding pipeline before packing)

For each: wall-clock of `snakemake --cores C all`, number of training and interpolation
jobs, their job-seconds (Snakemake's benchmark files), the start-up each job logs
(process start to the first training step or evaluated batch) and its share of the
job-seconds; then every variant's wall-clock as a ratio to per-setting's. The default
config is the quick preset's Table 2 on Fashion-MNIST (offline).

    PYTHONPATH=$PWD python bench/pipeline.py [--baseline 64ec61d] [--pairs 3] [--epochs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ["Snakefile", "config.yaml", "config", "rules", "scripts", "envs", "docs/report", "lmc"]
STARTUP = re.compile(r"start-up ([\d.]+) s")


def copy_workflow(dst: Path, revision: str | None) -> None:
    """The workflow (and its lmc package) into `dst`: from this checkout, or as it was at
    git `revision`."""
    dst.mkdir(parents=True)
    if revision is None:
        for name in WORKFLOW:
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst / name)
        return
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dst)], input=archive, check=True)


def job_stats(results: Path) -> dict[str, float]:
    """Training and interpolation jobs of a finished run: count, job-seconds, start-up."""
    stats = {"jobs": 0, "job_seconds": 0.0, "startup_seconds": 0.0, "startups": []}
    for bench in list(results.rglob("train*.bench.tsv")) + list(results.rglob("interpolate*.bench.tsv")):
        lines = bench.read_text().splitlines()
        seconds = float(lines[1].split("\t")[0])
        log = bench.with_name(bench.name.replace(".bench.tsv", ".log"))
        found = STARTUP.findall(log.read_text()) if log.exists() else []
        stats["jobs"] += 1
        stats["job_seconds"] += seconds
        if found:
            stats["startup_seconds"] += float(found[0])
            stats["startups"].append(float(found[0]))
    return stats


def run_variant(name: str, folder: Path, overrides: dict, revision: str | None, cores: int,
                data_root: Path) -> dict:
    copy_workflow(folder, revision)
    with open(ROOT / "config" / "quick.yaml") as f:
        config = yaml.safe_load(f)
    config.update(overrides, dataset_root=str(data_root))
    if revision is not None:                 # keys the old workflow's schema does not know
        for key in ("pairs_per_job", "bundle"):
            config.pop(key, None)
    (folder / "bench.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    env = dict(os.environ, PYTHONPATH=str(folder))
    cmd = [str(Path(sys.executable).with_name("snakemake")), "--cores", str(cores), "all",
           "--configfile", "bench.yaml"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{name}: snakemake failed:\n{proc.stderr[-3000:]}")
    stats = job_stats(folder / "results")
    return {"variant": name, "wall_seconds": wall, **stats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="git revision to run beside (e.g. the last per-pair one)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--bundle", type=int, default=5)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--artefact", default="table2")
    parser.add_argument("--keep", help="folder to keep the runs in (default: a temp folder, removed)")
    parser.add_argument("--json", help="write the measurements here")
    args = parser.parse_args()

    common = {"build": [args.artefact], "pairs": args.pairs}
    with open(ROOT / "config" / "quick.yaml") as f:
        defaults = yaml.safe_load(f)["defaults"]
    common["defaults"] = {**defaults, "epochs": args.epochs}
    variants = [("per-setting", {"pairs_per_job": "all", "bundle": 1}, None),
                ("per-pair", {"pairs_per_job": 1, "bundle": 1}, None),
                (f"bundle {args.bundle}", {"pairs_per_job": "all", "bundle": args.bundle}, None)]
    if args.baseline:
        variants.append((f"baseline {args.baseline}", {}, args.baseline))
    load_before = os.getloadavg()[0]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lmc-bench-"))
    data_root = base / "datasets"
    rows = []
    try:
        for name, overrides, revision in variants:
            folder = base / re.sub(r"\W+", "-", name)
            if folder.exists():
                shutil.rmtree(folder)
            rows.append(run_variant(name, folder, {**common, **overrides}, revision, args.cores, data_root))
            r = rows[-1]
            print(f"{name:>20}: {r['wall_seconds']:7.1f} s wall, {r['jobs']} train/interpolate jobs",
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    ref = rows[0]["wall_seconds"]
    print(f"\n{args.artefact} of config/quick.yaml, {args.pairs} pairs, {args.epochs} epochs, "
          f"--cores {args.cores}; {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print(f"{'variant':>20} {'wall s':>8} {'vs per-setting':>15} {'jobs':>5} {'job-s':>8} "
          f"{'start-up median s':>18} {'start-up share':>15}")
    for r in rows:
        median = statistics.median(r["startups"]) if r["startups"] else float("nan")
        share = r["startup_seconds"] / r["job_seconds"] if r["job_seconds"] else float("nan")
        print(f"{r['variant']:>20} {r['wall_seconds']:8.1f} {r['wall_seconds'] / ref:15.2f} {r['jobs']:5d} "
              f"{r['job_seconds']:8.1f} {median:18.1f} {share:15.0%}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
