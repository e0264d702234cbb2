"""Which device a job uses, and distinct GPUs for concurrent jobs on one workstation.

Snakemake's `--resources gpu=2` only *counts* GPUs: at most two `gpu=1` jobs run at
once, but both would pick `cuda:0`. A GPU job therefore runs inside

    with claim_gpu(prefer=device) as dev:
        ...                                   # train / evaluate on `dev`

which decides, in this order:

1. `prefer="cpu"`, or no GPU visible (and `prefer="auto"`): the CPU, nothing claimed.
   `prefer="cuda"` without a GPU raises RuntimeError.
2. A scheduler assigned the GPU(s): CUDA_VISIBLE_DEVICES is set inside a batch job
   (SLURM sets it for `--gpus=N`; also PBS and LSF job ids are recognised, and
   LMC_GPU_ASSIGNED=1 forces this case). The job uses `cuda:0` of what it sees and
   claims nothing: the scheduler already keeps jobs apart.
3. Otherwise (workstation): the job claims a free GPU among the visible ones with an
   exclusive, non-blocking `fcntl.flock` on a per-device lock file in a shared directory
   (LMC_GPU_LOCK_DIR, default /tmp/lmc-gpu-locks). The lock is held until the `with`
   block ends; if the process dies the kernel releases it (that is why flock, not
   lock files that must be cleaned up). When all GPUs are taken, it waits and retries.
   Lock files are named after the physical device (the CUDA_VISIBLE_DEVICES entry if the
   user set one by hand, else the index), so jobs that see different subsets still agree.

Simulation for tests: LMC_FAKE_GPUS=N (or the `n_devices` argument) pretends N GPUs are
visible without touching CUDA. The claimed device is then `cuda:k` as a torch.device
object only: never set LMC_FAKE_GPUS for real runs.

Importing this module sets CUBLAS_WORKSPACE_CONFIG=:4096:8 (unless already set), which
cuBLAS needs for deterministic results under `torch.use_deterministic_algorithms(True)`.
It only takes effect if set before CUDA is initialised, so import `lmc.util.devices` (or call
`select_device`/`claim_gpu`) before any CUDA work.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import socket
import time
from collections.abc import Iterator

import torch

log = logging.getLogger("lmc")

ENV_LOCK_DIR = "LMC_GPU_LOCK_DIR"
ENV_FAKE_GPUS = "LMC_FAKE_GPUS"
ENV_ASSIGNED = "LMC_GPU_ASSIGNED"
DEFAULT_LOCK_DIR = "/tmp/lmc-gpu-locks"
# Environment variables that mark a batch job of a scheduler that sets CUDA_VISIBLE_DEVICES.
SCHEDULER_JOB_VARS = ("SLURM_JOB_ID", "SLURM_JOBID", "PBS_JOBID", "LSB_JOBID")

PREFER_CHOICES = ("auto", "cpu", "cuda")


def set_deterministic_env() -> None:
    """CUBLAS_WORKSPACE_CONFIG for deterministic cuBLAS (must precede CUDA init)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


set_deterministic_env()


def _fake_gpus() -> int | None:
    value = os.environ.get(ENV_FAKE_GPUS)
    if value is None or value.strip() == "":
        return None
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{ENV_FAKE_GPUS} must be a non-negative integer, got {value!r}") from None
    if n < 0:
        raise ValueError(f"{ENV_FAKE_GPUS} must be a non-negative integer, got {value!r}")
    return n


def gpu_count(n_devices: int | None = None) -> int:
    """Number of visible GPUs: `n_devices` if given, else LMC_FAKE_GPUS if set, else
    what CUDA reports (0 without CUDA)."""
    if n_devices is not None:
        return int(n_devices)
    fake = _fake_gpus()
    if fake is not None:
        return fake
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _visible_list() -> list[str] | None:
    """The CUDA_VISIBLE_DEVICES entries, or None when the variable is unset."""
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def scheduler_assigned() -> bool:
    """True when a batch scheduler chose this job's GPU(s) via CUDA_VISIBLE_DEVICES."""
    visible = _visible_list()
    if not visible:
        return False
    if os.environ.get(ENV_ASSIGNED, "") not in ("", "0"):
        return True
    return any(os.environ.get(v) for v in SCHEDULER_JOB_VARS)


def _check_prefer(prefer: str) -> None:
    if prefer not in PREFER_CHOICES:
        raise ValueError(f"device must be one of {PREFER_CHOICES}, got {prefer!r}")


def select_device(prefer: str = "auto", n_devices: int | None = None) -> torch.device:
    """`auto`: the first visible GPU if there is one, else the CPU; `cpu`: the CPU;
    `cuda`: the first visible GPU, RuntimeError if there is none. Claims nothing (use
    `claim_gpu` when several jobs share one machine's GPUs)."""
    _check_prefer(prefer)
    set_deterministic_env()
    if prefer == "cpu":
        return torch.device("cpu")
    if gpu_count(n_devices) == 0:
        if prefer == "cuda":
            raise RuntimeError("device: cuda, but no CUDA device is visible; set device: auto or cpu")
        return torch.device("cpu")
    return torch.device("cuda", 0)


def lock_dir(slots_dir: str | os.PathLike | None = None) -> str:
    """Directory of the per-GPU lock files: `slots_dir`, else $LMC_GPU_LOCK_DIR, else
    /tmp/lmc-gpu-locks."""
    return os.fspath(slots_dir) if slots_dir is not None else os.environ.get(ENV_LOCK_DIR) or DEFAULT_LOCK_DIR


def _slot_names(n: int) -> list[str]:
    """Physical names of the visible devices, used for the lock file names."""
    visible = _visible_list()
    if visible is not None and len(visible) >= n:
        names = visible[:n]
    else:
        names = [str(i) for i in range(n)]
    return [re.sub(r"[^A-Za-z0-9_.-]", "_", name) for name in names]


def _ensure_dir(path: str) -> None:
    os.makedirs(path, exist_ok=True)
    # Shared by every user's jobs on the machine: world-writable with the sticky bit.
    with contextlib.suppress(OSError):
        if os.stat(path).st_mode & 0o7777 != 0o1777:
            os.chmod(path, 0o1777)


def _try_lock(path: str) -> int | None:
    """Open `path` and take an exclusive non-blocking flock; the fd, or None if held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return None
        raise
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o666)
    # For humans: who holds the device (the lock itself is the flock, not this text).
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {time.ctime()}\n".encode(), 0)
    return fd


@contextlib.contextmanager
def claim_gpu(slots_dir: str | os.PathLike | None = None, *, prefer: str = "auto",
              n_devices: int | None = None, timeout: float | None = None,
              poll: float = 1.0) -> Iterator[torch.device]:
    """Yield the device this job should use, holding an exclusive claim on it (see the
    module docstring). `slots_dir`: lock directory (default $LMC_GPU_LOCK_DIR or
    /tmp/lmc-gpu-locks); `n_devices`: number of visible GPUs (default: LMC_FAKE_GPUS or
    CUDA); `timeout`: seconds to wait for a free GPU before TimeoutError (None: forever);
    `poll`: seconds between attempts while all GPUs are taken."""
    _check_prefer(prefer)
    set_deterministic_env()
    n = 0 if prefer == "cpu" else gpu_count(n_devices)
    if n == 0:
        if prefer == "cuda":
            raise RuntimeError("device: cuda, but no CUDA device is visible; set device: auto or cpu")
        log.info("device cpu (no GPU claimed)")
        yield torch.device("cpu")
        return
    if scheduler_assigned():
        log.info("device cuda:0 of CUDA_VISIBLE_DEVICES=%s (assigned by the scheduler)",
                 os.environ.get("CUDA_VISIBLE_DEVICES"))
        yield torch.device("cuda", 0)
        return

    directory = lock_dir(slots_dir)
    _ensure_dir(directory)
    names = _slot_names(n)
    start = time.monotonic()
    waited = False
    while True:
        for index, name in enumerate(names):
            fd = _try_lock(os.path.join(directory, f"gpu-{name}.lock"))
            if fd is None:
                continue
            try:
                log.info("device cuda:%d claimed (lock %s%s)", index,
                         os.path.join(directory, f"gpu-{name}.lock"),
                         f", after waiting {time.monotonic() - start:.0f} s" if waited else "")
                if _fake_gpus() is None and n_devices is None and torch.cuda.is_available():
                    torch.cuda.set_device(index)
                yield torch.device("cuda", index)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if timeout is not None and time.monotonic() - start >= timeout:
            raise TimeoutError(f"no free GPU among {n} after {timeout} s (locks in {directory})")
        if not waited:
            log.info("all %d GPUs are claimed by other jobs; waiting (locks in %s)", n, directory)
            waited = True
        time.sleep(poll)
