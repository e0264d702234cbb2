"""Datasets on disk: download (torchvision, with its checksums), offline import from a
local folder, the manifest of what was fetched, and reading a split back as arrays. The
registry of names and shapes is `lmc.data.datasets`; the `.beton` files made from these
arrays, and the resident splits read from them, are `lmc.data.beton`.

Verified all the way down: the download rule's manifest records the sha256 of every raw
file the loaders read and of each split's arrays (`content_sha256`); conversion
(`lmc.jobs.convert`) re-checks both before writing."""
from __future__ import annotations

import hashlib
import json
import os
import urllib.error
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

from lmc.data import tiny_imagenet
from lmc.data.datasets import SPLITS, DatasetError, info
from lmc.data.idx import IDX_FILES, file_sha256, import_local
from lmc.util.logs import log

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
        "files": {rel: file_sha256(Path(root) / rel) for files in raw_files(name).values() for rel in files},
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
