"""Atomic file writes, checkpoints (weights-only loads) and tidy CSVs."""
from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import torch

# torch is imported where a checkpoint is read or written, not here: the aggregation and
# render jobs read only CSVs and JSONs, and importing torch is most of their start-up.


class CorruptFileError(RuntimeError):
    """A result file cannot be read; the message names it and says how to rebuild it."""


def rebuild_hint(path: str | os.PathLike) -> str:
    """The fix for a damaged result file, as a command that works: the workflow plans a
    missing intermediate of the requested artefacts itself (rules/common.smk,
    missing_intermediates), so the job that makes it and the jobs after it re-run."""
    return (f"delete it and run again (the job that makes it and the jobs after it re-run; "
            f"add your --configfile and targets): rm {path} && snakemake --cores 1 all")


def _torch_load(path: str | os.PathLike) -> Any:
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as e:          # truncated zip, garbage bytes, not a checkpoint: one message for all
        raise CorruptFileError(f"{path}: not a readable checkpoint ({type(e).__name__}: "
                               f"{' '.join(str(e).split())[:160]}); {rebuild_hint(path)}") from None


def atomic_write(path: str | os.PathLike, write: Callable[[str], Any]) -> None:
    """Call `write(tmp)` on a temp file in `path`'s directory, then rename it to
    `path`: a killed job never leaves a half-written output that Snakemake would take
    as complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())     # mkstemp's 0600 would hide results from colleagues
        os.replace(tmp, path)
    except BaseException as e:
        written = os.path.getsize(tmp) if os.path.exists(tmp) else 0
        if os.path.exists(tmp):
            os.unlink(tmp)
        if _disk_full(e):
            raise DiskFullError(_disk_full_message(path, e, written)) from None
        raise


class DiskFullError(OSError):
    """A write that ran out of space, named with its path and the space it needed."""


def _disk_full(e: BaseException) -> bool:
    """ENOSPC from the OS, numpy's "Not enough free space", or torch's stream writer's
    "file write failed" (it hides the errno) on a filesystem that is (almost) full."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(e, (OSError, RuntimeError)) and any(
        text in str(e) for text in ("Not enough free space", "No space left", "file write failed"))


def _disk_full_message(path: Path, e: BaseException, written: int) -> str:
    wanted = re.search(r"write (\d+) bytes", str(e))
    needed = (f"it needs {int(wanted.group(1))} bytes" if wanted else
              f"it needs more than the {written} bytes written when it failed")
    free = shutil.disk_usage(path.parent).free
    return (f"{path}: the disk is full ({' '.join(str(e).split())[:80]}): {needed}, {free} bytes are free "
            f"on its filesystem; nothing was written to it (earlier results stay); free some space there "
            f"and run snakemake again (a training job resumes from its last checkpoint)")


def _umask() -> int:
    """The process's umask (os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _torch_bytes(obj: Any) -> bytes:
    # torch.save names the zip archive after the file it writes to; saving to a buffer
    # keeps the bytes independent of the (random) temp-file name.
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def save_weights(state: Mapping[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Save a state dict of contiguous CPU tensors (identical bytes for identical values)."""
    clean = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
    blob = _torch_bytes(clean)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(blob))


def load_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict saved by `save_weights` (weights-only load); CorruptFileError names an
    unreadable file."""
    return _torch_load(path)


def save_state(state: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Save a nested training state (tensors, numbers, lists) for resumption."""
    blob = _torch_bytes(dict(state))
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(blob))


def load_state(path: str | os.PathLike) -> dict[str, Any]:
    return _torch_load(path)


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Tidy CSV with a fixed float format so reruns give identical bytes."""
    atomic_write(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n"))


def read_csv(path: str | os.PathLike, columns: Sequence[str]) -> pd.DataFrame:
    """A result CSV with at least `columns`; CorruptFileError names a file that cannot be
    parsed or lacks them (a truncated or hand-edited result)."""
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise
    except Exception as e:
        raise CorruptFileError(f"{path}: not a readable CSV ({type(e).__name__}); "
                               f"{rebuild_hint(path)}") from None
    missing = [c for c in columns if c not in table.columns]
    if missing or not len(table):
        what = f"lacks columns {', '.join(missing)}" if missing else "has no rows"
        raise CorruptFileError(f"{path}: {what}; {rebuild_hint(path)}")
    return table


def json_text(obj: Any) -> str:
    """The one form every JSON file of the pipeline is written in (`write_json`)."""
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def write_json(obj: Any, path: str | os.PathLike) -> None:
    text = json_text(obj)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def rewrite_json_keeping_mtime(obj: Any, path: str | os.PathLike) -> None:
    """`obj` written to `path` in `json_text`'s form, the file's modification time kept."""
    stat = os.stat(path)
    write_json(obj, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def write_text(text: str, path: str | os.PathLike) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))
