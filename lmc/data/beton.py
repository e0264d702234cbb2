"""FFCV `.beton` files: writing one from a dataset's checked arrays, a record of each file
(size, file and content hashes) written beside it, the checks every reader makes against
that record, the two ways of reading a `.beton` back (decoded once into resident
tensors, or FFCV's Loader), and the resident `Split` training and interpolation use.

Every reader checks the file against its record before FFCV touches it and the decoded
arrays after, so a changed byte anywhere stops the job with one line that names the file
and the command that rebuilds it (docs/reliability.md)."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from lmc.data.datasets import DatasetError
from lmc.data.sources import content_sha256, file_sha256
from lmc.util.io import write_json


class BetonError(DatasetError):
    """A `.beton` cannot be read, or differs from what its conversion recorded."""


# Room kept free beyond a .beton's own size while writing it (its record, the log).
WRITE_MARGIN_BYTES = 1 << 20


def record_path(beton: str | os.PathLike) -> Path:
    """The JSON record written beside a `.beton` when it is converted: its size, file
    sha256 and `content_sha256` (the convert rule's second output per split)."""
    return Path(f"{beton}.json")


def rebuild_hint(beton: str | os.PathLike) -> str:
    # `--force` on the file runs that dataset's convert job alone; the rebuilt record has the
    # same bytes, so nothing downstream re-runs afterwards (see docs/reliability.md)
    return f"rebuild it (convert only, trained results stay): snakemake --cores 1 --force {beton}"


class _Pairs(torch.utils.data.Dataset):
    """(image, label) samples for FFCV's writer (its workers are forked and index this)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], int(self.labels[i])


def _fields(sample_shape: tuple[int, ...]) -> dict:
    from ffcv.fields import IntField, NDArrayField  # lazily: several seconds, and it resets torch's threads

    return {"image": NDArrayField(dtype=np.dtype("uint8"), shape=tuple(sample_shape)), "label": IntField()}


def beton_size(n: int, sample_shape: tuple[int, ...]) -> int:
    """Bytes of the `.beton` `write_beton` makes for n uint8 images of `sample_shape`."""
    from lmc.data import ffcv_writer

    return ffcv_writer.size_bytes(_fields(sample_shape), n, int(np.prod(sample_shape)))


def _check_free_space(path: Path, needed: int) -> None:
    free = shutil.disk_usage(path.parent).free
    if free < needed:
        raise DatasetError(f"{path.parent}: not enough free space to write {path.name}: it needs "
                           f"{needed} bytes ({needed / 2**20:.0f} MiB), {free} are free; free some space "
                           f"there and run again (nothing was written)")


def write_beton(images: np.ndarray, labels: np.ndarray, path: str | os.PathLike) -> dict:
    """One `.beton` per split (the image as a uint8 array field, lossless; the label as
    int), read back and compared with the arrays given before it takes its place, then
    its record (`record_path`), which is returned. Fails within a second, leaving neither
    the temp file nor a half-written `.beton`, when the disk lacks the room (checked
    before writing: the size is known exactly) or a writer worker fails."""
    from lmc.data import ffcv_writer

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.unlink(missing_ok=True)                # left by a killed run: its room counts as free
    images = np.ascontiguousarray(images, dtype=np.uint8)
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    fields = _fields(images.shape[1:])
    size = ffcv_writer.size_bytes(fields, len(labels), int(np.prod(images.shape[1:])))
    _check_free_space(path, size + WRITE_MARGIN_BYTES)
    expected = content_sha256(images, labels)
    try:
        try:
            ffcv_writer.Writer(str(tmp), fields, page_size=ffcv_writer.PAGE_SIZE,
                               num_workers=1).from_indexed_dataset(_Pairs(images, labels))
        except (ffcv_writer.WriteError, OSError) as e:
            raise DatasetError(f"{path}: FFCV's writer failed ({' '.join(str(e).split())}); nothing was "
                               f"written; fix the cause (space in {path.parent}?) and run again") from None
        with keep_torch_threads():
            x, y = _decode(tmp, path)
        if content_sha256(x, y) != expected:
            raise DatasetError(f"{path}: the file FFCV wrote reads back as other arrays than it was given; "
                               f"nothing was written; run again (a disk or FFCV fault)")
        record = {"beton": path.name, "bytes": tmp.stat().st_size, "count": int(len(labels)),
                  "shape": list(images.shape[1:]), "file_sha256": file_sha256(tmp),
                  "content_sha256": expected}
        record_path(path).unlink(missing_ok=True)     # never an old record beside the new file
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    write_json(record, record_path(path))     # after the .beton: a record never predates its file
    return record


def beton_record(beton: str | os.PathLike) -> dict:
    """The record `write_beton` left beside `beton`; BetonError if it is missing or unreadable."""
    rec = record_path(beton)
    try:
        record = json.loads(rec.read_text())
        if not all(k in record for k in ("bytes", "file_sha256", "content_sha256")):
            raise ValueError("keys missing")
    except FileNotFoundError:
        raise BetonError(f"{beton}: no record {rec.name} beside it (converted by an older version?); "
                         f"{rebuild_hint(beton)}") from None
    except (OSError, ValueError) as e:
        raise BetonError(f"{rec}: not a readable .beton record ({e}); {rebuild_hint(beton)}") from None
    return record


def check_beton(beton: str | os.PathLike, record: dict | None = None) -> dict:
    """The file against its record, before FFCV reads it (a truncated or garbled file
    can make FFCV fail obscurely, or worse): size, then sha256. Returns the record."""
    record = record or beton_record(beton)
    try:
        size = os.path.getsize(beton)
    except FileNotFoundError:
        raise BetonError(f"{beton}: missing; {rebuild_hint(beton)}") from None
    if size != record["bytes"]:
        raise BetonError(f"{beton}: {size} bytes, but its conversion wrote {record['bytes']} (truncated or "
                         f"replaced); {rebuild_hint(beton)}")
    if file_sha256(Path(beton)) != record["file_sha256"]:
        raise BetonError(f"{beton}: changed since its conversion (sha256 differs from "
                         f"{record_path(beton).name}); {rebuild_hint(beton)}")
    return record


def check_beton_unchanged(beton: str | os.PathLike) -> None:
    """The check the workflow runs on every `.beton` a job would read, when it builds its
    DAG (before Snakemake deletes any job's old outputs): cheap when the file is as
    converted (size and mtime against the record), a full `check_beton` when its mtime
    says it was touched after the record was written. A missing file or record passes:
    the convert job will (re)make both."""
    beton, rec = Path(beton), record_path(beton)
    if not (beton.exists() and rec.exists()):
        return
    record = beton_record(beton)
    stat, written = beton.stat(), rec.stat().st_mtime_ns
    if stat.st_size == record["bytes"] and stat.st_mtime_ns <= written <= stat.st_mtime_ns + RECORD_DELAY_NS:
        return
    if stat.st_size == record["bytes"] and written > stat.st_mtime_ns + RECORD_DELAY_NS:
        # the record was written long after its file: if they disagree, the record was edited
        if file_sha256(beton) != record["file_sha256"]:
            raise BetonError(f"{rec}: its file_sha256 differs from {beton.name}, and it was written long "
                             f"after it (edited?); {rebuild_hint(beton)}")
        return
    check_beton(beton, record)


# convert writes a record right after its file; one written much later was edited (its
# hashes are then checked against the file, which costs one pass over it)
RECORD_DELAY_NS = 60 * 10**9


def _pipelines():
    from ffcv.fields.basics import IntDecoder  # lazily, like every FFCV import (see write_beton)
    from ffcv.fields.ndarray import NDArrayDecoder
    from ffcv.transforms import Squeeze, ToTensor

    return {"image": [NDArrayDecoder(), ToTensor()], "label": [IntDecoder(), ToTensor(), Squeeze(-1)]}


def ffcv_loader(path: str | os.PathLike, batch_size: int, seed: int | None, *, shuffle: bool = True,
                check: bool = True):
    """FFCV Loader over a `.beton` (checked against its record first, unless `check` is
    False): seeded random order (never unseeded: that would draw from global numpy
    state), no partial batch dropped."""
    from ffcv.loader import Loader, OrderOption  # lazily, like every FFCV import (see write_beton)

    if shuffle and seed is None:
        raise ValueError("a shuffled FFCV loader needs an explicit seed")
    if check:
        check_beton(path)
    return Loader(str(path), batch_size=batch_size, num_workers=1,
                  order=OrderOption.RANDOM if shuffle else OrderOption.SEQUENTIAL,
                  seed=seed if shuffle else 0, drop_last=False, pipelines=_pipelines())


def _decode(path: str | os.PathLike, name: str | os.PathLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Every sample of `path` in file order; any FFCV failure as one BetonError naming `name`."""
    xs, ys = [], []
    try:
        for x, y in ffcv_loader(path, batch_size=4096, seed=None, shuffle=False, check=False):
            xs.append(x.clone())
            ys.append(y.clone().reshape(-1))
        return torch.cat(xs), torch.cat(ys).long()
    except Exception as e:          # FFCV's errors on a bad file are arbitrary (ValueError, IndexError, ...)
        detail = " ".join(str(e).split())[:160]
        raise BetonError(f"{name}: FFCV cannot read it ({type(e).__name__}: {detail}); "
                         f"{rebuild_hint(name)}") from None


def read_beton(path: str | os.PathLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode a whole `.beton` once: uint8 images [N, C, H, W] and int64 labels [N]. The
    file is checked against its record first and the decoded arrays after (the content
    hash costs a fraction of the decode); any difference is a one-line BetonError that
    names the file and the command that rebuilds it."""
    record = check_beton(path)
    x, y = _decode(path, path)
    if content_sha256(x, y) != record["content_sha256"]:
        raise BetonError(f"{path}: decodes to other arrays than its conversion recorded "
                         f"({record_path(path).name}); {rebuild_hint(path)}")
    return x, y


@contextlib.contextmanager
def keep_torch_threads():
    """Undo FFCV's changes to torch's CPU thread count.

    FFCV calls `torch.set_num_threads(num_workers)` (1 for our Loaders) when it is
    imported, when a Loader is built, and when an epoch starts (also from its worker
    thread; the MKL part of that setting is process-wide). Left alone, reading a `.beton`
    silently makes all later CPU training single-threaded."""
    threads = torch.get_num_threads()
    try:
        yield threads
    finally:
        torch.set_num_threads(threads)
