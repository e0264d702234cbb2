"""Tiny-ImageNet (cs231n): download the public zip (md5-checked), parse its folder layout
and decode the JPEGs once into cached `.npy` arrays. torchvision has no class for it, so
`data` calls `download` and `load_split` here for it. The test split is the labelled
validation set (the archive's own test images have no labels)."""
from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
from pathlib import Path

import numpy as np

from lmc.data.datasets import DatasetError, DatasetInfo
from lmc.util.io import atomic_write
from lmc.util.logs import log

URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
FILENAME = "tiny-imagenet-200.zip"
MD5 = "90528d7ca1a48142e341f4ef8d21d0de"
FOLDER = "tiny-imagenet-200"          # the zip's top-level folder, kept as extracted


def cache_files(root: Path, split: str) -> tuple[Path, Path]:
    """Decoded arrays sit next to the raw folder, so deleting the root removes both."""
    return root / f"{FOLDER}.{split}.images.npy", root / f"{FOLDER}.{split}.labels.npy"


def download(root: str | os.PathLike, meta: DatasetInfo) -> None:
    """Fetch and extract the zip unless the extracted folder is already there. A zip
    already at `root/tiny-imagenet-200.zip` with the right md5 is used without the
    network (the offline route). Extraction goes to a temp folder that is renamed into
    place, so an interrupted run never leaves a half-extracted tree that looks complete."""
    root = Path(root)
    if (root / FOLDER).is_dir():
        return
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{FOLDER}.", suffix=".tmp"))
    try:
        _fetch(root, tmp, meta)
        if not (tmp / FOLDER).is_dir():
            raise DatasetError(f"{root / FILENAME}: archive has no top-level {FOLDER}/ folder; "
                               f"delete it and rerun the download rule")
        os.replace(tmp / FOLDER, root / FOLDER)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fetch(root: Path, extract_to: Path, meta: DatasetInfo) -> None:
    """torchvision's download (skipped when the zip is present with the right md5) and
    extraction, with its multi-line errors turned into one line that says the fix."""
    from torchvision.datasets.utils import download_and_extract_archive  # torchvision: ~1 s, only needed here

    try:
        download_and_extract_archive(URL, root, extract_root=extract_to, filename=FILENAME, md5=MD5)
    except (urllib.error.URLError, OSError, RuntimeError) as e:   # RuntimeError: md5 mismatch
        raise DatasetError(f"{meta.title}: fetching {URL} into {root} failed "
                           f"({' '.join(str(e).split())}); check network access, "
                           f"or put {FILENAME} (md5 {MD5}) in {root} and rerun") from None


def load_split(root: str | os.PathLike, split: str, meta: DatasetInfo) -> tuple[np.ndarray, np.ndarray]:
    """uint8 [N, 3, 64, 64] images and int64 labels (index of the wnid in wnids.txt).
    Decodes the JPEGs on the first call and caches the arrays; later calls read the cache."""
    root = Path(root)
    images_npy, labels_npy = cache_files(root, split)
    if images_npy.exists() and labels_npy.exists():
        images, labels = np.load(images_npy), np.load(labels_npy)
        _check(images, labels, split, meta, images_npy)
        return images, labels
    images, labels = _decode(root / FOLDER, split, meta)
    _check(images, labels, split, meta, root / FOLDER)
    # labels first: the cache counts only when both exist, and images are the slow part
    atomic_write(labels_npy, lambda tmp: _save(tmp, labels))
    atomic_write(images_npy, lambda tmp: _save(tmp, images))
    return images, labels


def _save(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as f:          # a file object: np.save would append .npy to a name
        np.save(f, array)


def _check(images: np.ndarray, labels: np.ndarray, split: str, meta: DatasetInfo, where: Path) -> None:
    """Counts and classes against the registry (100000/10000 images, 200 classes)."""
    expected = meta.n_train if split == "train" else meta.n_test
    fix = f"delete {where} and rerun the download rule"
    if images.shape != (expected, *meta.shape) or labels.shape != (expected,):
        raise DatasetError(f"{where}: {split} split has images {images.shape} and labels {labels.shape}; "
                           f"expected {expected} images of {meta.shape}; {fix}")
    present = len(np.unique(labels))
    if present != meta.classes or labels.min() < 0 or labels.max() >= meta.classes:
        raise DatasetError(f"{where}: {split} split has {present} classes with labels in "
                           f"[{labels.min()}, {labels.max()}]; expected all {meta.classes}; {fix}")


def _wnids(folder: Path) -> list[str]:
    path = folder / "wnids.txt"
    fix = f"delete {folder} and rerun the download rule"
    if not path.is_file():
        raise DatasetError(f"{path} is missing (run the download rule first, or {fix})")
    wnids = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(set(wnids)) != len(wnids):
        raise DatasetError(f"{path}: class ids repeat; {fix}")
    return wnids


def _listing(folder: Path, split: str) -> tuple[list[Path], list[int]]:
    """Image paths and labels in a fixed order: classes in wnids.txt order, files sorted
    (train); the order of val_annotations.txt (test)."""
    wnids = _wnids(folder)
    index = {w: i for i, w in enumerate(wnids)}
    fix = f"the extracted archive is incomplete: delete {folder} and rerun the download rule"
    files: list[Path] = []
    labels: list[int] = []
    if split == "train":
        for wnid in wnids:
            images = folder / "train" / wnid / "images"
            found = sorted(images.glob("*.JPEG")) if images.is_dir() else []
            if not found:
                raise DatasetError(f"{images}: no training images for class {wnid}; {fix}")
            files += found
            labels += [index[wnid]] * len(found)
        return files, labels
    annotations = folder / "val" / "val_annotations.txt"
    if not annotations.is_file():
        raise DatasetError(f"{annotations} is missing; {fix}")
    for n, line in enumerate(annotations.read_text().splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2 or fields[1] not in index:
            raise DatasetError(f"{annotations}:{n}: expected 'file<TAB>wnid<TAB>box' with a wnid from "
                               f"wnids.txt, got {line!r}; {fix}")
        path = folder / "val" / "images" / fields[0]
        if not path.is_file():
            raise DatasetError(f"{path}: listed in {annotations.name} but missing; {fix}")
        files.append(path)
        labels.append(index[fields[1]])
    return files, labels


def _decode(folder: Path, split: str, meta: DatasetInfo) -> tuple[np.ndarray, np.ndarray]:
    """Decode with PIL into one preallocated array (~0.1 ms per 64x64 JPEG on one core,
    so ~10 s for all 110k images when the files are in the page cache)."""
    from PIL import Image  # only the one-off decode needs PIL

    files, labels = _listing(folder, split)
    channels, height, width = meta.shape
    images = np.empty((len(files), channels, height, width), dtype=np.uint8)
    log.info("decoding %d %s JPEGs of %s", len(files), split, folder)
    for i, path in enumerate(files):
        try:
            with Image.open(path) as im:
                rgb = im.convert("RGB")   # the real set holds some greyscale (mode "L") images
        except OSError as e:
            raise DatasetError(f"{path}: cannot decode ({e}); "
                               f"delete {folder} and rerun the download rule") from None
        if rgb.size != (width, height):
            raise DatasetError(f"{path}: image is {rgb.size[0]}x{rgb.size[1]}, expected {width}x{height}; "
                               f"delete {folder} and rerun the download rule")
        images[i] = np.asarray(rgb).transpose(2, 0, 1)
    return images, np.asarray(labels, dtype=np.int64)
