"""What a Snakemake run is about to do, and where to look once it is done: the jobs of a
dry run (its "Job stats" table), the folders its jobs write, a wall-time estimate scaled
from the last measured run by this machine's matmul rate, and the files to open first.
`make quick` prints them around its run (tools/quick.py); tests/test_docs.py checks the
job counts the docs quote with them. Nothing here imports snakemake: it runs its command
line, as a user would."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

# The three files `make quick` points to when it is done (README "Quickstart" names them too):
# the verdict on each of the paper's claims, the paper's headline table, its first figure.
FIRST_FILES = ("results/tables/claims.md", "results/tables/table2.md", "results/figures/figure1.png")
# The last measured `make quick` from an empty results/ (tools/quick.py --record writes it).
MEASUREMENT = "docs/performance/quick.json"
MEASUREMENT_KEYS = ("date", "machine", "gflops_per_core", "cores", "jobs", "wall_s", "note")
# Median start-up of a job on 2 idle CPU cores (docs/performance.md, measured 2026-12-01).
STARTUP_S = 3.6


class PlanError(RuntimeError):
    """A dry run that failed, or a measurement file that cannot be read (one line)."""


def snakemake_bin() -> str:
    """The snakemake beside this Python (the project's virtual environment)."""
    return str(Path(sys.executable).with_name("snakemake"))


def dry_run(args: Sequence[str], cwd: str | Path = ".", forceall: bool = False,
            snakemake: str | None = None) -> str:
    """The text of `snakemake -n [--forceall] ARGS` in `cwd` (what would run now; with
    `forceall`, everything, as from an empty results/)."""
    cmd = [snakemake or snakemake_bin(), "-n", *(["--forceall"] if forceall else []), *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        lines = [line for line in (proc.stderr + proc.stdout).splitlines() if line.strip()]
        last = lines[-1] if lines else "no output"
        raise PlanError(f"`snakemake {' '.join(cmd[1:])}` failed in {cwd}: {last}")
    return proc.stdout + proc.stderr


def jobs_per_rule(dry_run_output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run as {rule: count} (empty: nothing to be done)."""
    if "Job stats:" not in dry_run_output:
        return {}
    table = dry_run_output.split("Job stats:")[-1]
    counts = {}
    for line in table.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if m and m.group(1) != "total":
            counts[m.group(1)] = int(m.group(2))
    return counts


def written_folders(dry_run_output: str, depth: int = 2) -> set[str]:
    """The folders (first `depth` path components) of every output, log and benchmark file
    the dry run's jobs write, e.g. {"results/runs", "results/logs", "resources/datasets"}."""
    folders = set()
    for m in re.finditer(r"^\s+(?:output|log|benchmark): (.+)$", dry_run_output, re.M):
        for path in m.group(1).split(", "):
            parts = Path(path.strip()).parts
            if len(parts) > depth:
                folders.add("/".join(parts[:depth]))
    return folders


def matmul_gflops(n: int = 1024, reps: int = 5) -> float:
    """This machine's fp32 matmul rate on one thread, GFLOP/s (best of `reps` n x n
    products; FLOP = 2 n^3): the per-core speed the estimate scales by (bench/train_speed.py
    measures the same thing at several sizes)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            torch.mm(a, b)
            best = min(best, time.perf_counter() - t)
    finally:
        torch.set_num_threads(threads)
    return 2 * n**3 / best / 1e9


@dataclass(frozen=True)
class Measurement:
    """One measured run: when, where (and that machine's matmul rate per core), on how many
    cores, how many jobs, how long; `note` says what else ran on the machine."""

    date: str
    machine: str
    gflops_per_core: float
    cores: int
    jobs: int
    wall_s: float
    note: str


def load_measurement(path: str | Path) -> Measurement | None:
    """The measurement in `path` (None when there is none yet); a malformed file stops with
    one line naming it and the key."""
    path = Path(path)
    if not path.exists():
        return None
    fix = "(fix it, or delete it and record a new one with `python tools/quick.py --record`)"
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise PlanError(f"{path}: not JSON ({e.msg} at line {e.lineno}) {fix}") from None
    if not isinstance(data, Mapping):
        raise PlanError(f"{path}: expected a mapping with keys {', '.join(MEASUREMENT_KEYS)} {fix}")
    missing = [k for k in MEASUREMENT_KEYS if k not in data]
    if missing:
        raise PlanError(f"{path}: missing key {missing[0]!r} {fix}")
    for key in ("gflops_per_core", "cores", "jobs", "wall_s"):
        if not isinstance(data[key], (int, float)) or isinstance(data[key], bool) or data[key] <= 0:
            raise PlanError(f"{path}: {key} must be a positive number, got {data[key]!r} {fix}")
    return Measurement(**{k: data[k] for k in MEASUREMENT_KEYS})


def save_measurement(measurement: Measurement, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(asdict(measurement), indent=2, ensure_ascii=False) + "\n")


def estimate_s(measured: Measurement, jobs: int, cores: int, gflops_per_core: float) -> float:
    """Wall seconds for `jobs` jobs on `cores` cores of a machine at `gflops_per_core`,
    scaled from `measured`: per job, by the per-core speed, and by the cores (more cores
    than measured are not credited: the DAG's chains do not shrink with them)."""
    per_job = measured.wall_s / measured.jobs
    return jobs * per_job * (measured.gflops_per_core / gflops_per_core) * (
        measured.cores / min(cores, measured.cores))


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def compute_pflop(configs: Sequence[str]) -> float:
    """PFLOPs of training, paths and analyses of config.yaml with presets merged over it
    (`python -m lmc.config.cost CONFIGS`, its total row)."""
    from lmc.config import cost

    total = cost.cost_table(cost.load(configs)).iloc[-1]
    return float(total["train_pflop"] + total["eval_pflop"] + total["analyses_pflop"])


def cost_estimate_s(pflop: float, jobs: int, cores: int, gflops_per_core: float) -> float:
    """Wall seconds from the FLOPs alone: `pflop` at the matmul rate on every core, plus
    each job's start-up spread over the cores: no measurement needed, but blind to what
    runs below the matmul rate (convolutions, attention, small batches)."""
    return pflop * 1e15 / (gflops_per_core * 1e9 * cores) + jobs * STARTUP_S / cores


def plan_line(jobs: int, cores: int, gflops_per_core: float, measured: Measurement | None,
              source: str = MEASUREMENT, pflop: float | None = None) -> str:
    """The line `make quick` prints before it starts: the jobs the dry run plans and about
    how long they take, saying what the estimate stands on: the last measurement, scaled;
    without one, `pflop` (lmc.config.cost) at this machine's matmul rate."""
    if jobs == 0:
        return "nothing to run (snakemake -n): every artefact is up to date."
    rate = f"this machine: {gflops_per_core:.0f} GFLOP/s per core (1-thread fp32 matmul)"
    if measured is None:
        if pflop is None:
            return (f"{jobs} jobs to run (snakemake -n) on {cores} cores; no measured run in {source} "
                    f"to estimate from; {rate}.")
        eta = cost_estimate_s(pflop, jobs, cores, gflops_per_core)
        return (f"{jobs} jobs to run (snakemake -n), about {minutes(eta)} on {cores} cores from "
                f"`python -m lmc.config.cost`: {pflop:.3f} PFLOP at {gflops_per_core:.0f} GFLOP/s per core "
                f"(this "
                f"machine's 1-thread fp32 matmul, now), plus {STARTUP_S} s start-up per job (no measured "
                f"run in {source} yet).")
    eta = estimate_s(measured, jobs, cores, gflops_per_core)
    return (f"{jobs} jobs to run (snakemake -n), about {minutes(eta)} on {cores} cores, scaled from the last "
            f"measurement ({source}: {measured.jobs} jobs in {minutes(measured.wall_s)} on {measured.cores} "
            f"cores of {measured.machine}, {measured.date}, {measured.gflops_per_core:.0f} GFLOP/s per core; "
            f"{measured.note}); {rate}.")


def machine_name() -> str:
    """The CPU model and core count (/proc/cpuinfo), for a measurement's record."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def done_lines(root: str | Path = ".", files: Sequence[str] = FIRST_FILES,
               report_command: str = "") -> list[str]:
    """What `make quick` prints when it is done: the files to open first (each marked when
    missing), and the command for the HTML report of every artefact."""
    lines = ["Open first:"]
    for f in files:
        lines.append(f"  {f}" + ("" if (Path(root) / f).exists() else "   (missing!)"))
    if report_command:
        lines.append(f"Every artefact in one HTML page: {report_command}")
    return lines
