"""A split's decoded arrays as memory-mappable `.npy` files beside its `.beton`.

The `.beton` stays the format of record (convert writes it first and reads it back);
the arrays are what it decodes to, written once by convert so that a training or
interpolation job on the resident path maps them in a fraction of a second instead of
importing FFCV (~6 s) and decoding the file (docs/performance.md). A small record beside
them (sizes, file hashes, the content hash the `.beton`'s record also holds) lets every
reader, and the DAG, check them like a `.beton` (docs/reliability.md)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from lmc.data.beton import BetonError, beton_record, rebuild_hint
from lmc.data.resident import Split
from lmc.data.sources import content_sha256, file_sha256
from lmc.util.io import atomic_write, json_text, rewrite_json_keeping_mtime, write_json


def paths(beton: str | os.PathLike) -> dict[str, Path]:
    """`train.beton` -> {images: train.images.npy, labels: train.labels.npy, record: train.arrays.json}."""
    beton = Path(beton)
    stem = beton.with_suffix("")
    return {"images": stem.with_name(stem.name + ".images.npy"),
            "labels": stem.with_name(stem.name + ".labels.npy"),
            "record": stem.with_name(stem.name + ".arrays.json")}


def write_arrays(images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor,
                 beton: str | os.PathLike) -> dict:
    """uint8 images [N, C, H, W] and int64 labels [N] as `.npy` files beside `beton`, then
    their record (after the files: a record never predates them). Returns the record."""
    files = paths(beton)
    images = np.ascontiguousarray(images.numpy() if isinstance(images, torch.Tensor) else images, np.uint8)
    labels = np.ascontiguousarray(labels.numpy() if isinstance(labels, torch.Tensor) else labels, np.int64)
    files["record"].unlink(missing_ok=True)
    for kind, array in (("images", images), ("labels", labels)):
        atomic_write(files[kind], _npy_writer(array))
    record = _describe(images, labels, files)
    write_json(record, files["record"])
    return record


def _describe(images: np.ndarray, labels: np.ndarray, files: dict[str, Path]) -> dict:
    """The record of arrays written to `files` (one pass over their bytes)."""
    return {"count": int(len(labels)), "shape": list(images.shape[1:]),
            "content_sha256": content_sha256(images, labels),
            **{kind: {"file": files[kind].name, "bytes": files[kind].stat().st_size,
                      "file_sha256": file_sha256(files[kind])} for kind in ("images", "labels")}}


def _npy_writer(array: np.ndarray):
    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:      # a handle: np.save would append ".npy" to a path
            np.save(f, array, allow_pickle=False)
    return write


def _record(beton: str | os.PathLike) -> dict:
    rec = paths(beton)["record"]
    try:
        return json.loads(rec.read_text())
    except FileNotFoundError:
        raise BetonError(f"{rec}: missing (converted by an older version?); {rebuild_hint(beton)}") from None
    except (OSError, ValueError) as e:
        raise BetonError(f"{rec}: not a readable arrays record ({e}); {rebuild_hint(beton)}") from None


def content_of(beton: str | os.PathLike) -> str:
    """The content hash convert recorded for the split of `beton`."""
    return _record(beton)["content_sha256"]


def check_unchanged(beton: str | os.PathLike) -> str | None:
    """The DAG-time check of the arrays beside `beton` (as `beton.check_beton_unchanged`):
    size and mtime against the record, file hashes only when an mtime says a file was
    touched after it. Missing files pass: the convert job will make them. A record that
    only lost its form (re-indented, keys re-ordered) is restored: returns a line saying so."""
    files = paths(beton)
    if not all(files[k].exists() for k in files):
        return None
    record = _record(beton)
    _check_agrees_with_beton_record(beton, record)
    newest = files["record"].stat().st_mtime_ns
    for kind in ("images", "labels"):
        stat = files[kind].stat()
        if stat.st_size != record[kind]["bytes"]:
            raise BetonError(f"{files[kind]}: {stat.st_size} bytes, but convert wrote "
                             f"{record[kind]['bytes']} (truncated or replaced); {rebuild_hint(beton)}")
        if stat.st_mtime_ns > newest and file_sha256(files[kind]) != record[kind]["file_sha256"]:
            raise BetonError(f"{files[kind]}: changed since convert wrote it (sha256 differs from "
                             f"{files['record'].name}); {rebuild_hint(beton)}")
    return _restore_form(beton, record)


def _restore_form(beton: str | os.PathLike, record: dict) -> str | None:
    """Snakemake decides on a small input by its checksum, so a record merely reformatted
    (same values) would re-run every job of its dataset. One whose every value still holds
    (checked against the arrays: one pass over them, only in this case) is written back in
    convert's form, its mtime kept; one with another value was edited, and stops the run."""
    files = paths(beton)
    if files["record"].read_text() == json_text(record):
        return None
    images, labels = (np.load(files[kind], mmap_mode="r") for kind in ("images", "labels"))
    actual = _describe(images, labels, files)
    if actual != record:
        wrong = sorted(k for k in set(actual) | set(record) if actual.get(k) != record.get(k))
        verb = "differs" if len(wrong) == 1 else "differ"
        raise BetonError(f"{files['record']}: its {', '.join(wrong)} {verb} from the arrays it describes "
                         f"(edited?); {rebuild_hint(beton)}")
    rewrite_json_keeping_mtime(record, files["record"])
    return (f"{files['record']}: reformatted since convert wrote it, same values; written back in "
            "convert's form (nothing re-runs for it)")


def _check_agrees_with_beton_record(beton: str | os.PathLike, record: dict) -> None:
    """Both records convert wrote for a split hold its content hash; a record edited by
    hand differs from the other. Then the arrays decide which one lies (one pass over
    them, only in that case), and the error names it, before any job is planned."""
    from lmc.data.beton import record_path

    if not record_path(beton).exists():
        return
    other = beton_record(beton)
    if other["content_sha256"] == record.get("content_sha256"):
        return
    files = paths(beton)
    actual = content_sha256(np.load(files["images"], mmap_mode="r"), np.load(files["labels"], mmap_mode="r"))
    wrong = files["record"] if actual != record.get("content_sha256") else record_path(beton)
    raise BetonError(f"{wrong}: its content_sha256 differs from the arrays it describes (edited?); "
                     f"{rebuild_hint(beton)}")


def read_split(beton: str | os.PathLike, device: torch.device | str) -> Split:
    """The split of `beton` from its memory-mapped arrays, on `device`, checked against
    the content hash convert recorded (one pass over the bytes; no FFCV import)."""
    files, record = paths(beton), _record(beton)
    try:
        # copy-on-write map: torch wants a writable buffer, nothing is ever written back
        images = np.load(files["images"], mmap_mode="c", allow_pickle=False)
        labels = np.load(files["labels"], mmap_mode="c", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise BetonError(f"{files['images'].parent}: cannot map the arrays of {Path(beton).name} "
                         f"({' '.join(str(e).split())[:120]}); {rebuild_hint(beton)}") from None
    if content_sha256(images, labels) != record["content_sha256"]:
        raise BetonError(f"{files['images']}: holds other arrays than convert recorded "
                         f"({files['record'].name}); {rebuild_hint(beton)}")
    return Split(torch.from_numpy(images).to(device), torch.from_numpy(labels).to(device))
