"""lmc.util.devices: device choice, and distinct GPUs for concurrent jobs on one machine.

GPUs are simulated (LMC_FAKE_GPUS / n_devices); no CUDA is needed."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from lmc.util import devices

REPO = Path(__file__).resolve().parents[1]
SCHEDULER_VARS = devices.SCHEDULER_JOB_VARS + (devices.ENV_ASSIGNED,)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No scheduler, no CUDA_VISIBLE_DEVICES, a private lock directory."""
    for var in SCHEDULER_VARS + ("CUDA_VISIBLE_DEVICES", devices.ENV_FAKE_GPUS):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(devices.ENV_LOCK_DIR, str(tmp_path / "locks"))


# ---------------------------------------------------------------- CPU fallback

def test_cpu_fallback_without_gpus(monkeypatch, tmp_path):
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "0")
    assert devices.gpu_count() == 0
    assert devices.select_device("auto") == torch.device("cpu")
    assert devices.select_device("cpu") == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        devices.select_device("cuda")
    with devices.claim_gpu() as dev:
        assert dev == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        with devices.claim_gpu(prefer="cuda"):
            pass
    assert not (tmp_path / "locks").exists(), "the CPU path must not claim anything"


def test_prefer_cpu_claims_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "2")
    with devices.claim_gpu(prefer="cpu") as dev:
        assert dev == torch.device("cpu")
    assert not (tmp_path / "locks").exists()


def test_real_cuda_count_when_not_simulated():
    # On this CPU-only machine CUDA reports nothing; on a GPU machine the real count.
    expected = torch.cuda.device_count() if torch.cuda.is_available() else 0
    assert devices.gpu_count() == expected


def test_select_device_with_gpus(monkeypatch):
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "2")
    assert devices.select_device("auto") == torch.device("cuda", 0)
    assert devices.select_device("cuda") == torch.device("cuda", 0)
    assert devices.select_device("auto", n_devices=0) == torch.device("cpu")


def test_bad_arguments(monkeypatch):
    with pytest.raises(ValueError):
        devices.select_device("gpu")
    with pytest.raises(ValueError):
        with devices.claim_gpu(prefer="tpu"):
            pass
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "two")
    with pytest.raises(ValueError, match=devices.ENV_FAKE_GPUS):
        devices.gpu_count()


# ------------------------------------------------------- CUDA_VISIBLE_DEVICES

def test_scheduler_assigned_gpu_is_used_as_is(monkeypatch, tmp_path):
    """SLURM's --gpus=1 sets CUDA_VISIBLE_DEVICES: use cuda:0 of it, claim nothing."""
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "1")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    assert devices.scheduler_assigned()
    with devices.claim_gpu() as a, devices.claim_gpu(timeout=0) as b:
        assert a == b == torch.device("cuda", 0)
    assert not (tmp_path / "locks").exists(), "scheduler-assigned GPUs must not be claimed"


def test_forced_assignment(monkeypatch, tmp_path):
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "2")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setenv(devices.ENV_ASSIGNED, "1")
    with devices.claim_gpu() as dev:
        assert dev == torch.device("cuda", 0)
    assert not (tmp_path / "locks").exists()


def test_user_visible_devices_are_claimed_by_physical_id(monkeypatch, tmp_path):
    """CUDA_VISIBLE_DEVICES set by hand (no scheduler): claim among the visible devices;
    the lock files carry the physical ids so jobs with other subsets agree."""
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "2")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert not devices.scheduler_assigned()
    with devices.claim_gpu() as a:
        with devices.claim_gpu() as b:
            assert (a, b) == (torch.device("cuda", 0), torch.device("cuda", 1))
            with pytest.raises(TimeoutError):
                with devices.claim_gpu(timeout=0):
                    pass
    assert sorted(p.name for p in (tmp_path / "locks").iterdir()) == ["gpu-3.lock", "gpu-5.lock"]
    # Released at the end of the with blocks: claimable again.
    with devices.claim_gpu(timeout=0) as again:
        assert again == torch.device("cuda", 0)


def test_empty_visible_devices_means_no_scheduler_gpu(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setenv("SLURM_JOB_ID", "1")
    assert not devices.scheduler_assigned()


def test_lock_dir_is_configurable(monkeypatch, tmp_path):
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "1")
    other = tmp_path / "elsewhere"
    with devices.claim_gpu(slots_dir=other) as dev:
        assert dev == torch.device("cuda", 0)
        assert (other / "gpu-0.lock").exists()
        assert "pid %d" % os.getpid() in (other / "gpu-0.lock").read_text()
    monkeypatch.delenv(devices.ENV_LOCK_DIR)
    assert devices.lock_dir() == devices.DEFAULT_LOCK_DIR


# ------------------------------------------------------ concurrent processes

def _holder(lock_dir: str, out_dir: str, worker: int, hold_s: float, n_gpus: int = 2) -> None:
    """Child process: claim a slot, record it while holding it, and detect any other
    holder of the same slot with an O_EXCL marker file."""
    os.environ[devices.ENV_FAKE_GPUS] = str(n_gpus)
    os.environ[devices.ENV_LOCK_DIR] = lock_dir
    record = {"worker": worker, "pid": os.getpid(), "clash": False}
    with devices.claim_gpu(poll=0.02) as dev:
        record["start"] = time.monotonic()
        record["device"] = str(dev)
        marker = os.path.join(out_dir, f"holding-{dev.index}")
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            record["clash"] = True
            fd = None
        time.sleep(hold_s)
        if fd is not None:
            os.close(fd)
            os.unlink(marker)
        record["end"] = time.monotonic()
    with open(os.path.join(out_dir, f"worker-{worker}.json"), "w") as f:
        json.dump(record, f)


def test_concurrent_processes_get_distinct_gpus(tmp_path):
    lock_dir, out_dir = tmp_path / "locks", tmp_path / "out"
    out_dir.mkdir()
    ctx = mp.get_context("fork")  # torch is already imported: forking is fast
    workers = [ctx.Process(target=_holder, args=(str(lock_dir), str(out_dir), i, 0.3)) for i in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0, f"worker exit code {w.exitcode}"
    records = [json.loads(p.read_text()) for p in sorted(out_dir.glob("worker-*.json"))]
    assert len(records) == 6
    assert not any(r["clash"] for r in records), "two holders shared one GPU"
    assert {r["device"] for r in records} == {"cuda:0", "cuda:1"}
    for i, a in enumerate(records):
        for b in records[i + 1:]:
            overlap = a["start"] < b["end"] and b["start"] < a["end"]
            if overlap:
                assert a["device"] != b["device"], f"concurrent holders {a} and {b} share a GPU"
    # 6 jobs on 2 slots: some had to wait, never more than 2 at a time.
    events = sorted([(r["start"], 1) for r in records] + [(r["end"], -1) for r in records])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak == 2


def _claim_and_die(lock_dir: str, ready) -> None:
    os.environ[devices.ENV_FAKE_GPUS] = "1"
    with devices.claim_gpu(slots_dir=lock_dir):
        ready.set()
        os.kill(os.getpid(), signal.SIGKILL)


def test_lock_released_when_holder_dies(monkeypatch, tmp_path):
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "1")
    lock_dir = str(tmp_path / "locks")
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=_claim_and_die, args=(lock_dir, ready))
    child.start()
    assert ready.wait(30)
    child.join(30)
    assert child.exitcode == -signal.SIGKILL
    with devices.claim_gpu(slots_dir=lock_dir, timeout=5) as dev:
        assert dev == torch.device("cuda", 0)


def test_waits_for_a_free_gpu(monkeypatch, tmp_path):
    monkeypatch.setenv(devices.ENV_FAKE_GPUS, "1")
    out = tmp_path / "out"
    out.mkdir()
    ctx = mp.get_context("fork")
    with devices.claim_gpu():
        child = ctx.Process(target=_holder, args=(str(tmp_path / "locks"), str(out), 0, 0.0, 1))
        child.start()
        time.sleep(0.5)
        assert not (out / "worker-0.json").exists(), "must wait while the only GPU is held"
        released = time.monotonic()
    child.join(30)
    assert child.exitcode == 0
    assert json.loads((out / "worker-0.json").read_text())["start"] >= released


# ------------------------------------------------------------------- cuBLAS

def test_cublas_workspace_config_set_on_import():
    env = {k: v for k, v in os.environ.items() if k != "CUBLAS_WORKSPACE_CONFIG"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", "import os, lmc.util.devices; print(os.environ['CUBLAS_WORKSPACE_CONFIG'])"],
        env=env, capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == ":4096:8"
