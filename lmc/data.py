"""Datasets: download (torchvision, with its checksums), offline import from a local
folder, FFCV `.beton` conversion and the two ways of reading a `.beton` back (resident
tensors on the training device, or FFCV's Loader). The registry of names and shapes is
`lmc.datasets`."""
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
    """Download (or import from `source`) and return a manifest of what is on disk."""
    meta = info(name)
    if source:
        import_local(name, source, root)
    else:
        download(name, root)
    images, labels = {}, {}
    for split in SPLITS:
        x, y = load_split(name, root, split)
        images[split], labels[split] = x, y
    manifest = {
        "dataset": name,
        "source": (str(source) if source
                   else _own_module(name).URL if not meta.torchvision else "torchvision download"),
        "shape": list(meta.shape),
        "classes": meta.classes,
        "counts": {s: int(len(labels[s])) for s in SPLITS},
        "sha256": {s: hashlib.sha256(np.ascontiguousarray(images[s]).tobytes()
                                     + np.ascontiguousarray(labels[s]).tobytes()).hexdigest()
                   for s in SPLITS},
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
def write_beton(images: np.ndarray, labels: np.ndarray, path: str | os.PathLike) -> None:
    """One `.beton` per split: the image as a uint8 array field (lossless), the label as int."""
    # FFCV is imported where it is used: several seconds, and it resets torch's thread count
    from ffcv.fields import IntField, NDArrayField
    from ffcv.writer import DatasetWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.name + ".tmp")

    class _Pairs(torch.utils.data.Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, i):
            return images[i], int(labels[i])

    writer = DatasetWriter(str(tmp), {
        "image": NDArrayField(dtype=np.dtype("uint8"), shape=tuple(images.shape[1:])),
        "label": IntField(),
    }, num_workers=1)
    writer.from_indexed_dataset(_Pairs())
    os.replace(tmp, path)


def _pipelines():
    from ffcv.fields.basics import IntDecoder  # lazily, like every FFCV import (see write_beton)
    from ffcv.fields.ndarray import NDArrayDecoder
    from ffcv.transforms import Squeeze, ToTensor

    return {"image": [NDArrayDecoder(), ToTensor()], "label": [IntDecoder(), ToTensor(), Squeeze(-1)]}


def ffcv_loader(path: str | os.PathLike, batch_size: int, seed: int | None, *, shuffle: bool = True):
    """FFCV Loader over a `.beton`: seeded random order (never unseeded: that would draw
    from global numpy state), no partial batch dropped."""
    from ffcv.loader import Loader, OrderOption  # lazily, like every FFCV import (see write_beton)

    if shuffle and seed is None:
        raise ValueError("a shuffled FFCV loader needs an explicit seed")
    return Loader(str(path), batch_size=batch_size, num_workers=1,
                  order=OrderOption.RANDOM if shuffle else OrderOption.SEQUENTIAL,
                  seed=seed if shuffle else 0, drop_last=False, pipelines=_pipelines())


def read_beton(path: str | os.PathLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode a whole `.beton` once: uint8 images [N, C, H, W] and int64 labels [N]."""
    xs, ys = [], []
    for x, y in ffcv_loader(path, batch_size=4096, seed=None, shuffle=False):
        xs.append(x.clone())
        ys.append(y.clone().reshape(-1))
    return torch.cat(xs), torch.cat(ys).long()


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
