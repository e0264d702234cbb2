"""Datasets: download (torchvision, with its checksums), offline import from a local
folder, FFCV `.beton` conversion and the two ways of reading a `.beton` back (resident
tensors on the training device, or FFCV's Loader). The registry of names and shapes is
`lmc.datasets`.

Verified all the way down: the download rule's manifest records the sha256 of every raw
file the loaders read and of each split's arrays (`content_sha256`); conversion re-checks
both before writing, and records each `.beton`'s file and content hashes in a JSON record
beside it (`record_path`); every reader checks the file against its record before FFCV
touches it and the decoded arrays after, so a changed byte anywhere stops the job with
one line that names the file and the command that rebuilds it."""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

from . import tiny_imagenet
from .datasets import SPLITS, DatasetError, DatasetInfo, info
from .io import write_json
from .logs import log

# idx file names torchvision's MNIST-family classes read from `root/<Class>/raw/`.
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# sha256 of the *decompressed* idx files. Debian recompresses the archives, so the gz
# md5s in torchvision's `resources` do not match; the content does.
KNOWN_IDX_SHA256 = {
    "fashion_mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}


# The files torchvision's CIFAR classes read, under `root/<base_folder>/` (the class
# attributes base_folder, train_list, test_list and meta; tests compare the two).
CIFAR_FILES = {
    "CIFAR10": ("cifar-10-batches-py", {"train": tuple(f"data_batch_{i}" for i in range(1, 6)),
                                        "test": ("test_batch",)}, "batches.meta"),
    "CIFAR100": ("cifar-100-python", {"train": ("train",), "test": ("test",)}, "meta"),
}


def raw_files(name: str) -> dict[str, list[str]]:
    """Per split, the files `load_split` reads, relative to the dataset's root: what the
    download rule leaves there and records in its manifest, and what the convert rule
    takes as inputs. Static (from the registry), so the workflow knows them before the
    download has run."""
    meta = info(name)
    if not meta.torchvision:
        return {s: [p.name for p in _own_module(name).cache_files(Path("."), s)] for s in SPLITS}
    if "MNIST" in meta.torchvision:
        return {s: [f"{meta.torchvision}/raw/{f}" for f in IDX_FILES[s]] for s in SPLITS}
    folder, lists, meta_file = CIFAR_FILES[meta.torchvision]
    return {s: [f"{folder}/{f}" for f in (*lists[s], meta_file)] for s in SPLITS}


def content_sha256(images, labels) -> str:
    """sha256 of a split's arrays as every reader holds them: the uint8 [N, C, H, W] image
    bytes, then the int64 labels. The manifest, the .beton records and the readers all use
    this one definition (numpy arrays or CPU tensors)."""
    images = images.numpy() if isinstance(images, torch.Tensor) else images
    labels = labels.numpy() if isinstance(labels, torch.Tensor) else labels
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(images, dtype=np.uint8).data)
    h.update(np.ascontiguousarray(labels, dtype=np.int64).data)
    return h.hexdigest()


def _tv_class(name: str):
    import torchvision.datasets as tvd  # here, not at the top: ~1 s that only download/convert jobs need

    return getattr(tvd, info(name).torchvision)


def _own_module(name: str) -> ModuleType:
    """The module for a dataset torchvision has no class for (`torchvision=""`); it
    provides `URL`, `download(root, meta)` and `load_split(root, split, meta)`."""
    return {"tiny_imagenet": tiny_imagenet}[info(name).name]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- download / import
def download(name: str, root: str | os.PathLike) -> None:
    """Fetch both splits with torchvision (which verifies its md5 checksums and skips
    files already present), or with the dataset's own module where torchvision has none."""
    meta = info(name)
    _drop_derived(name, root)
    if not meta.torchvision:
        return _own_module(name).download(root, meta)
    cls = _tv_class(name)
    try:
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except (urllib.error.URLError, OSError, RuntimeError) as e:  # torchvision's errors span lines
        # offline: CIFAR's archive placed in root passes the md5 check and skips the network
        offline = (f"put {cls.filename} in {root}" if hasattr(cls, "filename")
                   else f"import local idx files (config offline_sources.{name})")
        raise DatasetError(f"{meta.title}: download into {root} failed ({' '.join(str(e).split())}); "
                           f"check network access, or {offline}") from None


def _drop_derived(name: str, root: str | os.PathLike) -> None:
    """Remove the copies the loaders read that would otherwise be trusted as they are,
    so that the download rule re-derives them from checked originals: MNIST-family idx
    files that torchvision extracted from a .gz beside them (it re-extracts after checking
    the archive's md5; it keeps an extracted file without any check), and Tiny-ImageNet's
    decoded .npy caches. CIFAR's files are md5-checked by torchvision itself."""
    meta, root = info(name), Path(root)
    if not meta.torchvision:
        for split in SPLITS:
            for path in _own_module(name).cache_files(root, split):
                path.unlink(missing_ok=True)
    elif "MNIST" in meta.torchvision:
        for rel in (f for files in raw_files(name).values() for f in files):
            if (root / (rel + ".gz")).exists():
                (root / rel).unlink(missing_ok=True)


def _read_idx(path: Path, origin: Path | None = None) -> np.ndarray:
    """Parse an idx file (the MNIST format); raises DatasetError on a malformed file,
    naming `origin` (the file the user supplied) where `path` is a copy of it."""
    origin = origin or path
    data = path.read_bytes()
    if len(data) < 8 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetError(f"{origin}: not an unsigned-byte idx file (bad magic number); "
                           f"replace it with the dataset's original file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(dims)):
        raise DatasetError(f"{origin}: header says {dims} but the file holds {len(data) - offset} bytes "
                           f"(truncated?); replace it with an intact copy")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def import_local(name: str, source: str | os.PathLike, root: str | os.PathLike) -> None:
    """Copy an MNIST-family dataset's idx files (``.gz`` or plain) from a local folder
    into torchvision's layout ``root/<Class>/raw/`` and check them: header, shape,
    counts, label range, and content hash where the real files' hash is known."""
    meta = info(name)
    if not meta.torchvision or "MNIST" not in meta.torchvision:
        raise DatasetError(f"offline import reads MNIST-family idx files; for {name!r} put its original "
                           f"archive in {root} instead (the download step checks its md5 and then needs "
                           f"no network)")
    source = Path(source)
    if not source.is_dir():
        raise DatasetError(f"offline source folder {source} for {name!r} does not exist "
                           f"(on Debian: apt-get install dataset-{name.replace('_', '-')}; "
                           f"or fix config key offline_sources.{name})")
    raw = Path(root) / meta.torchvision / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    expected = {"train": meta.n_train, "test": meta.n_test}
    for split, (img_name, lbl_name) in IDX_FILES.items():
        arrays, origins = [], []
        for fname in (img_name, lbl_name):
            candidates = [source / (fname + ".gz"), source / fname]
            found = next((c for c in candidates if c.exists()), None)
            if found is None:
                raise DatasetError(f"offline source {source} lacks {fname}.gz (or {fname}) "
                                   f"for dataset {name!r}; add it or fix config key offline_sources.{name}")
            arrays.append(_import_idx(found, raw / fname, KNOWN_IDX_SHA256.get(name, {}).get(fname), meta))
            origins.append(found)
        (images, labels), (img_file, lbl_file) = arrays, origins
        n = expected[split] if name in KNOWN_IDX_SHA256 else len(labels)
        if images.shape[1:] != meta.shape[1:] or len(images) != len(labels) or len(labels) != n:
            raise DatasetError(f"{img_file}: {split} split has images {images.shape} and {len(labels)} "
                               f"labels in {lbl_file.name}; expected {n} images of {meta.shape[1:]}; "
                               f"supply the matching original files")
        if len(labels) and labels.max() >= meta.classes:
            raise DatasetError(f"{lbl_file}: labels reach {labels.max()}, but {meta.title} has "
                               f"{meta.classes} classes; the file is corrupt or from another dataset")


def _import_idx(found: Path, dest: Path, sha256: str | None, meta: DatasetInfo) -> np.ndarray:
    """Decompress `found` next to `dest` and check it (content hash where known, idx
    header) before it takes the place torchvision reads: a bad file never lands there."""
    tmp = dest.with_suffix(".tmp")
    try:
        opener = gzip.open if found.suffix == ".gz" else open
        try:
            with opener(found, "rb") as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out)
        except (OSError, EOFError) as e:  # not gzip, or a gzip stream cut short
            raise DatasetError(f"{found}: cannot be read ({e}); replace it with an intact copy") from None
        if sha256 is not None and _sha256(tmp) != sha256:
            raise DatasetError(f"{found}: content hash differs from the real {meta.title} file {dest.name}; "
                               f"the copy is corrupt or not {meta.title}")
        array = _read_idx(tmp, origin=found)
        os.replace(tmp, dest)
        return array
    finally:
        tmp.unlink(missing_ok=True)


def prepare(name: str, root: str | os.PathLike, source: str | os.PathLike | None = None) -> dict:
    """Download (or import from `source`) and return a manifest of what is on disk: counts,
    each split's `content_sha256` and the sha256 of every file in `raw_files`."""
    meta = info(name)
    if source:
        import_local(name, source, root)
    else:
        download(name, root)
    counts, hashes = {}, {}
    for split in SPLITS:
        x, y = load_split(name, root, split)
        counts[split], hashes[split] = int(len(y)), content_sha256(x, y)
    manifest = {
        "dataset": name,
        "source": (str(source) if source
                   else _own_module(name).URL if not meta.torchvision else "torchvision download"),
        "shape": list(meta.shape),
        "classes": meta.classes,
        "counts": counts,
        "sha256": hashes,
        # the raw files the loaders read (relative to root): convert re-checks them
        "files": {rel: _sha256(Path(root) / rel) for files in raw_files(name).values() for rel in files},
    }
    log.info("dataset %s ready: %s", name, json.dumps(manifest["counts"]))
    return manifest


def load_split(name: str, root: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images as uint8 [N, C, H, W] and labels as int64 [N], read through torchvision or
    the dataset's own module (no download: `prepare` must have run)."""
    meta = info(name)
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r} of {name!r}; known: {', '.join(SPLITS)}")
    if not meta.torchvision:
        return _own_module(name).load_split(root, split, meta)
    cls = _tv_class(name)
    try:
        ds = cls(str(root), train=(split == "train"), download=False)
    except RuntimeError as e:
        raise DatasetError(f"{name} {split} split not found under {root} ({e}); "
                           f"run the download rule first") from None
    data = ds.data.numpy() if isinstance(ds.data, torch.Tensor) else np.asarray(ds.data)
    if data.ndim == 3:                      # MNIST family: N, H, W
        data = data[:, None]
    elif data.shape[-1] in (1, 3):          # CIFAR: N, H, W, C
        data = data.transpose(0, 3, 1, 2)
    labels = np.asarray(ds.targets, dtype=np.int64)
    return np.ascontiguousarray(data, dtype=np.uint8), labels


# ---------------------------------------------------------------- FFCV
class BetonError(DatasetError):
    """A `.beton` cannot be read, or differs from what its conversion recorded."""


# Room kept free beyond a .beton's own size while writing it (its record, the log).
WRITE_MARGIN_BYTES = 1 << 20


def record_path(beton: str | os.PathLike) -> Path:
    """The JSON record written beside a `.beton` when it is converted: its size, file
    sha256 and `content_sha256` (the convert rule's second output per split)."""
    return Path(f"{beton}.json")


def _rebuild_hint(beton: str | os.PathLike) -> str:
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
    from . import ffcv_writer

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
    from . import ffcv_writer

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
                  "shape": list(images.shape[1:]), "file_sha256": _sha256(tmp), "content_sha256": expected}
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
                         f"{_rebuild_hint(beton)}") from None
    except (OSError, ValueError) as e:
        raise BetonError(f"{rec}: not a readable .beton record ({e}); {_rebuild_hint(beton)}") from None
    return record


def check_beton(beton: str | os.PathLike, record: dict | None = None) -> dict:
    """The file against its record, before FFCV reads it (a truncated or garbled file
    can make FFCV fail obscurely, or worse): size, then sha256. Returns the record."""
    record = record or beton_record(beton)
    try:
        size = os.path.getsize(beton)
    except FileNotFoundError:
        raise BetonError(f"{beton}: missing; {_rebuild_hint(beton)}") from None
    if size != record["bytes"]:
        raise BetonError(f"{beton}: {size} bytes, but its conversion wrote {record['bytes']} (truncated or "
                         f"replaced); {_rebuild_hint(beton)}")
    if _sha256(Path(beton)) != record["file_sha256"]:
        raise BetonError(f"{beton}: changed since its conversion (sha256 differs from "
                         f"{record_path(beton).name}); {_rebuild_hint(beton)}")
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
    stat = beton.stat()
    if stat.st_size == record["bytes"] and stat.st_mtime_ns <= rec.stat().st_mtime_ns:
        return
    check_beton(beton, record)


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
                         f"{_rebuild_hint(name)}") from None


def read_beton(path: str | os.PathLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode a whole `.beton` once: uint8 images [N, C, H, W] and int64 labels [N]. The
    file is checked against its record first and the decoded arrays after (the content
    hash costs a fraction of the decode); any difference is a one-line BetonError that
    names the file and the command that rebuilds it."""
    record = check_beton(path)
    x, y = _decode(path, path)
    if content_sha256(x, y) != record["content_sha256"]:
        raise BetonError(f"{path}: decodes to other arrays than its conversion recorded "
                         f"({record_path(path).name}); {_rebuild_hint(path)}")
    return x, y


def convert(name: str, root: str | os.PathLike, manifest: str | os.PathLike,
            outputs: dict[str, str]) -> None:
    """The convert job: every raw file re-checked against the download rule's manifest
    (before anything is written), then each split's arrays, then each split written as
    `outputs[split]` (a `.beton` and its record)."""
    root, recorded = Path(root), json.loads(Path(manifest).read_text())
    fix = (f"re-import it (download and convert only, trained results stay): "
           f"snakemake --cores 1 --forceall {outputs['train']}")
    files = raw_files(name)
    for rel in (rel for split in SPLITS for rel in files[split]):
        expected = recorded.get("files", {}).get(rel)     # manifests written before this check lack "files"
        if expected is None:
            continue
        if not (root / rel).is_file():
            raise DatasetError(f"{root / rel}: missing, though the download rule recorded it in {manifest}; "
                               f"{fix}")
        if _sha256(root / rel) != expected:
            raise DatasetError(f"{root / rel}: content differs from what the download rule recorded in "
                               f"{manifest}; {fix}")
    for split in SPLITS:
        images, labels = load_split(name, root, split)
        if content_sha256(images, labels) != recorded["sha256"][split]:
            raise DatasetError(f"{root}: the {split} split read from {', '.join(files[split])} differs from "
                               f"the hash recorded in {manifest}; {fix}")
        write_beton(images, labels, outputs[split])
        log.info("wrote %s: %d samples", outputs[split], len(labels))


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The permutation FFCV's RANDOM order uses for `epoch` (default_rng(seed + epoch));
    the resident path draws the same one so both paths see identical batches."""
    return np.random.default_rng(seed + epoch).permutation(n)


def normaliser(name: str, device: torch.device | str):
    """uint8 [.., C, H, W] -> float32 normalised with the dataset's channel statistics."""
    meta = info(name)
    mean = torch.tensor(meta.mean, device=device).view(-1, 1, 1) * 255.0
    inv_std = 1.0 / (torch.tensor(meta.std, device=device).view(-1, 1, 1) * 255.0)

    def normalise(x: torch.Tensor) -> torch.Tensor:
        return (x.float() - mean) * inv_std

    return normalise


# ---------------------------------------------------------------- resident splits
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


@dataclass
class Split:
    """A split resident on the training device: uint8 images [N, C, H, W], int64 labels."""
    images: torch.Tensor
    labels: torch.Tensor

    @classmethod
    def from_beton(cls, path: str | os.PathLike, device: torch.device | str) -> "Split":
        with keep_torch_threads():
            x, y = read_beton(path)
        return cls(x.to(device), y.to(device))

    def __len__(self) -> int:
        return len(self.labels)
