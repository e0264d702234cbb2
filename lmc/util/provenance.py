"""Where a result came from: the code (git commit, dirty flag, library digest), the
software (Python, torch, CUDA, FFCV, Snakemake), the machine (host, device) and the
timing (start, end, wall-clock, start-up) of the job that made it. Written beside every
pair as `provenance.json` and gathered into `results/runs/provenance.csv`."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import torch


def process_start() -> float:
    """When this process started (time.time() scale): from /proc on Linux, else now."""
    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])       # field 22: starttime
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, StopIteration, IndexError):
        return time.time()


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


def collect(device: torch.device | str, started: float, compute_started: float, finished: float,
            code: str | None = None) -> dict[str, Any]:
    """The provenance of one job: `started` is the process start, `compute_started` the
    first training step (or evaluated batch), `finished` the end (time.time() scale)."""
    device = torch.device(device)
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "git_commit": commit,
        "git_dirty": None if status is None else bool(status),
        "code_digest": code,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "ffcv": _version("ffcv"),
        "snakemake": _version("snakemake"),
        "device": (torch.cuda.get_device_name(device) if device.type == "cuda"
                   else f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)"),
        "host": socket.gethostname(),
        "start": _iso(started),
        "end": _iso(finished),
        "wall_seconds": round(finished - started, 3),
        "startup_seconds": round(compute_started - started, 3),
    }


def table(run_ids: Sequence[str], pairs: Sequence[int], records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run x pair (sorted), for results/runs/provenance.csv."""
    rows = [{"run_id": r, "pair": int(k), **dict(p)} for r, k, p in zip(run_ids, pairs, records)]
    return pd.DataFrame(rows).sort_values(["run_id", "pair"], kind="stable").reset_index(drop=True)
