"""Atomic file writes, checkpoints (weights-only loads) and tidy CSVs."""
from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import torch


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
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process's umask (os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _torch_bytes(obj: Any) -> bytes:
    # torch.save names the zip archive after the file it writes to; saving to a buffer
    # keeps the bytes independent of the (random) temp-file name.
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def save_weights(state: Mapping[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Save a state dict of contiguous CPU tensors (identical bytes for identical values)."""
    clean = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
    blob = _torch_bytes(clean)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(blob))


def load_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)


def save_state(state: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Save a nested training state (tensors, numbers, lists) for resumption."""
    blob = _torch_bytes(dict(state))
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(blob))


def load_state(path: str | os.PathLike) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Tidy CSV with a fixed float format so reruns give identical bytes."""
    atomic_write(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n"))


def write_json(obj: Any, path: str | os.PathLike) -> None:
    text = json.dumps(obj, indent=2, sort_keys=True) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_text(text: str, path: str | os.PathLike) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))
