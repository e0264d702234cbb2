"""Datasets on small fabricated files in each dataset's real on-disk format: MNIST idx
(plain and .gz), CIFAR-10/100 Python-2 pickles, the Tiny-ImageNet zip/folder layout,
and one FFCV round trip. No network: downloads are skipped because the files are
already where torchvision (or lmc.data.tiny_imagenet) looks, with their checksums."""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import pickle
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import accept_idx

from lmc.data import beton, datasets, idx, sources, tiny_imagenet

RNG = np.random.default_rng(0)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- MNIST family (idx)
def _idx(array: np.ndarray) -> bytes:
    """idx format: magic 0x00 0x00 0x08 (unsigned byte) ndim, big-endian dims, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _mnist_arrays(n_train: int = 64, n_test: int = 32) -> dict[str, np.ndarray]:
    return {
        "train-images-idx3-ubyte": RNG.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": RNG.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": RNG.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": RNG.integers(0, 10, n_test, dtype=np.uint8),
    }


def _write_idx(folder: Path, arrays: dict[str, np.ndarray], gz: bool) -> None:
    """The files, accepted as MNIST's content for this session (they are not MNIST)."""
    folder.mkdir(parents=True, exist_ok=True)
    for fname, array in arrays.items():
        if gz:
            (folder / (fname + ".gz")).write_bytes(gzip.compress(_idx(array)))
        else:
            (folder / fname).write_bytes(_idx(array))
    accept_idx(folder)


def _assert_mnist(root: Path, name: str, arrays: dict[str, np.ndarray]) -> None:
    for split, (img, lbl) in idx.IDX_FILES.items():
        x, y = sources.load_split(name, root, split)
        assert x.dtype == np.uint8 and y.dtype == np.int64
        assert x.shape == (len(arrays[img]), 1, 28, 28)
        np.testing.assert_array_equal(x[:, 0], arrays[img])
        np.testing.assert_array_equal(y, arrays[lbl])


def test_mnist_prepare_reads_torchvision_raw_folder(tmp_path):
    arrays = _mnist_arrays()
    _write_idx(tmp_path / "MNIST" / "raw", arrays, gz=False)   # torchvision then skips the download
    manifest = sources.prepare("mnist", tmp_path)
    assert manifest["counts"] == {"train": 64, "test": 32}
    assert manifest["shape"] == [1, 28, 28] and manifest["source"] == "torchvision download"
    _assert_mnist(tmp_path, "mnist", arrays)


def test_download_rule_rederives_extracted_idx_files_from_their_archives(tmp_path, monkeypatch):
    """torchvision keeps an extracted idx file without checking it; the download rule
    re-extracts it from the md5-checked .gz beside it, so re-running it repairs a change."""
    arrays = _mnist_arrays()
    raw = tmp_path / "MNIST" / "raw"
    _write_idx(raw, arrays, gz=True)
    _write_idx(raw, arrays, gz=False)                    # as torchvision leaves them
    cls = sources._tv_class("mnist")
    monkeypatch.setattr(cls, "resources", [(f + ".gz", _md5(raw / (f + ".gz"))) for f in arrays])
    monkeypatch.setattr(cls, "mirrors", ["http://127.0.0.1:9/"])    # a closed port: never the network
    first = sources.prepare("mnist", tmp_path)
    spoilt = raw / "train-images-idx3-ubyte"
    spoilt.write_bytes(spoilt.read_bytes()[:-1] + b"\x07")
    assert sources.prepare("mnist", tmp_path) == first
    _assert_mnist(tmp_path, "mnist", arrays)


def test_import_local_from_gz_folder(tmp_path):
    arrays = _mnist_arrays()
    _write_idx(tmp_path / "src", arrays, gz=True)
    manifest = sources.prepare("mnist", tmp_path / "root", source=tmp_path / "src")
    assert manifest["counts"] == {"train": 64, "test": 32} and manifest["source"] == str(tmp_path / "src")
    _assert_mnist(tmp_path / "root", "mnist", arrays)
    assert not list((tmp_path / "root" / "MNIST" / "raw").glob("*.tmp"))


def _truncate(path: Path) -> None:
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-28]))       # header still says 64 images


def _bad_label(path: Path) -> None:
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[-1] = 10                                     # MNIST has classes 0..9
    path.write_bytes(gzip.compress(bytes(raw)))


def _bad_magic(path: Path) -> None:
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[2] = 0x0D                                    # idx type float, not unsigned byte
    path.write_bytes(gzip.compress(bytes(raw)))


def _cut_gzip(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:40])         # gzip stream ends early


@pytest.mark.parametrize("spoil, fname, expected", [
    (lambda p: p.unlink(), "t10k-labels-idx1-ubyte.gz", "lacks t10k-labels-idx1-ubyte.gz"),
    (_truncate, "train-images-idx3-ubyte.gz", "header says [64, 28, 28]"),
    (_bad_label, "train-labels-idx1-ubyte.gz", "labels reach 10"),
    (_bad_magic, "t10k-images-idx3-ubyte.gz", "bad magic number"),
    (_cut_gzip, "train-labels-idx1-ubyte.gz", "cannot be read"),
], ids=["missing", "truncated", "label-range", "bad-magic", "cut-gzip"])
def test_import_local_rejects_bad_files(tmp_path, spoil, fname, expected):
    _write_idx(tmp_path / "src", _mnist_arrays(), gz=True)
    spoil(tmp_path / "src" / fname)
    if spoil is not _cut_gzip:
        accept_idx(tmp_path / "src")    # even content one vouches for must be well-formed
    with pytest.raises(sources.DatasetError) as err:
        idx.import_local("mnist", tmp_path / "src", tmp_path / "root")
    message = _one_line(err)
    assert expected in message and fname.removesuffix(".gz") in message


def test_import_local_header_failure_leaves_nothing_in_raw(tmp_path):
    _write_idx(tmp_path / "src", _mnist_arrays(), gz=True)
    _bad_magic(tmp_path / "src" / "train-images-idx3-ubyte.gz")
    with pytest.raises(sources.DatasetError):
        idx.import_local("mnist", tmp_path / "src", tmp_path / "root")
    assert list((tmp_path / "root" / "MNIST" / "raw").iterdir()) == []


def test_import_local_fashion_mnist_rejects_fabricated_content(tmp_path):
    # Fashion-MNIST's real content hashes are known: fabricated files must not pass
    _write_idx(tmp_path / "src", _mnist_arrays(), gz=True)
    with pytest.raises(sources.DatasetError) as err:
        idx.import_local("fashion_mnist", tmp_path / "src", tmp_path / "root")
    assert "is not the real Fashion-MNIST file train-images-idx3-ubyte" in _one_line(err)
    assert not (tmp_path / "root" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").exists()


def test_import_local_mnist_refuses_unvouched_content(tmp_path):
    """MNIST's canonical hashes are known: content nobody accepted is refused by name."""
    arrays = _mnist_arrays()
    (tmp_path / "src").mkdir()
    for fname, array in arrays.items():     # written without accept_idx
        (tmp_path / "src" / (fname + ".gz")).write_bytes(gzip.compress(_idx(array)))
    with pytest.raises(sources.DatasetError) as err:
        idx.import_local("mnist", tmp_path / "src", tmp_path / "root")
    message = _one_line(err)
    assert message.startswith(f"{tmp_path / 'src' / 'train-images-idx3-ubyte.gz'}: decompressed content")
    assert "is not the real MNIST file train-images-idx3-ubyte" in message


def test_import_local_accepts_dotted_uncompressed_names(tmp_path):
    arrays = _mnist_arrays()
    _write_idx(tmp_path / "src", arrays, gz=False)
    for f in list((tmp_path / "src").iterdir()):
        f.rename(f.with_name(f.name.replace("-idx", ".idx")))     # train-images.idx3-ubyte
    manifest = sources.prepare("mnist", tmp_path / "root", source=tmp_path / "src")
    assert manifest["counts"] == {"train": 64, "test": 32}
    _assert_mnist(tmp_path / "root", "mnist", arrays)


def test_extra_hashes_file_unreadable_is_one_line(tmp_path, monkeypatch):
    _write_idx(tmp_path / "src", _mnist_arrays(), gz=True)
    (tmp_path / "bad.json").write_text("{not json")
    monkeypatch.setenv(idx.EXTRA_IDX_ENV, str(tmp_path / "bad.json"))
    with pytest.raises(sources.DatasetError) as err:
        idx.import_local("mnist", tmp_path / "src", tmp_path / "root")
    assert f"{tmp_path / 'bad.json'} (environment variable {idx.EXTRA_IDX_ENV}): not a readable JSON" in (
        _one_line(err))


# ---------------------------------------------------------------- the real MNIST, by content
REAL_MNIST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"
needs_real_mnist = pytest.mark.skipif(
    not (REAL_MNIST / "train-labels-idx1-ubyte.gz").exists(),
    reason=f"the real MNIST is not at {REAL_MNIST} (an offline copy that only some machines have)")


@needs_real_mnist
def test_real_mnist_recompressed_or_plain_is_accepted(tmp_path):
    """Any compression passes: gzip level 1 for train, plain dotted files for test; the
    canonical counts (60000/10000) and class counts follow."""
    src = tmp_path / "src"
    src.mkdir()
    for f in REAL_MNIST.glob("*.gz"):
        content = gzip.decompress(f.read_bytes())
        name = f.name.removesuffix(".gz")
        if name.startswith("train"):
            (src / f.name).write_bytes(gzip.compress(content, compresslevel=1, mtime=1))
        else:
            (src / name.replace("-idx", ".idx")).write_bytes(content)
    manifest = sources.prepare("mnist", tmp_path / "root", source=src)
    assert manifest["counts"] == {"train": 60000, "test": 10000}
    _, y = sources.load_split("mnist", tmp_path / "root", "test")
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@needs_real_mnist
def test_real_mnist_one_flipped_byte_is_refused(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REAL_MNIST, src, copy_function=shutil.copyfile)   # shared/ may be read-only
    content = bytearray(gzip.decompress((src / "t10k-images-idx3-ubyte.gz").read_bytes()))
    content[5000] ^= 0x01                           # one pixel of one image, header intact
    (src / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(sources.DatasetError) as err:
        idx.import_local("mnist", src, tmp_path / "root")
    message = _one_line(err)
    assert message.startswith(f"{src / 't10k-images-idx3-ubyte.gz'}: decompressed content")
    assert "not the real MNIST file t10k-images-idx3-ubyte" in message
    assert not (tmp_path / "root" / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists()


def test_import_local_missing_folder_and_non_idx_dataset(tmp_path):
    with pytest.raises(sources.DatasetError) as err:
        idx.import_local("fashion_mnist", tmp_path / "nowhere", tmp_path / "root")
    assert "does not exist" in _one_line(err) and "offline_sources.fashion_mnist" in str(err.value)
    with pytest.raises(sources.DatasetError) as err:
        idx.import_local("cifar10", tmp_path, tmp_path / "root")
    assert "original archive" in _one_line(err)


# ---------------------------------------------------------------- CIFAR (pickles)
class _Py2Pickler(pickle._Pickler):
    """Writes str and bytes as Python 2 byte strings (opcodes U/T), as the real CIFAR
    pickles, made with Python 2, hold them: torchvision's `encoding="latin1"` then sees
    str keys ('data'), and `encoding="bytes"` sees b'data' as the dataset's page says."""
    dispatch = pickle._Pickler.dispatch.copy()

    def _save_py2_str(self, obj):
        raw = obj.encode("latin1") if isinstance(obj, str) else obj
        head = (pickle.SHORT_BINSTRING + bytes([len(raw)]) if len(raw) < 256
                else pickle.BINSTRING + struct.pack("<i", len(raw)))
        self.write(head + raw)
        self.memoize(obj)

    dispatch[str] = _save_py2_str
    dispatch[bytes] = _save_py2_str


def _dump(obj: dict, path: Path) -> None:
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    path.write_bytes(buf.getvalue())


def _batch(n: int, classes: int, fine: bool, label: str) -> dict:
    images = RNG.integers(0, 256, (n, 3072), dtype=np.uint8)     # rows: R plane, G plane, B plane
    labels = [int(v) for v in RNG.integers(0, classes, n)]
    entry = {"batch_label": label, "data": images, "filenames": [f"img_{i}.png" for i in range(n)]}
    if fine:
        entry |= {"fine_labels": labels, "coarse_labels": [v // 5 for v in labels]}
    else:
        entry["labels"] = labels
    return entry


def _fabricate_cifar(root: Path, name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The extracted archive's files; returns the expected [N,3,32,32] images and labels."""
    if name == "cifar10":
        folder = root / "cifar-10-batches-py"
        files = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
        meta = ("batches.meta", {"num_cases_per_batch": 4, "label_names": [f"c{i}" for i in range(10)],
                                 "num_vis": 3072})
        classes, fine = 10, False
    else:
        folder = root / "cifar-100-python"
        files = {"train": ["train"], "test": ["test"]}
        meta = ("meta", {"fine_label_names": [f"f{i}" for i in range(100)],
                         "coarse_label_names": [f"g{i}" for i in range(20)]})
        classes, fine = 100, True
    folder.mkdir(parents=True)
    expected = {}
    for split, names in files.items():
        xs, ys = [], []
        for fname in names:
            entry = _batch(6 if name == "cifar100" else 4, classes, fine, f"{split} batch")
            _dump(entry, folder / fname)
            xs.append(entry["data"].reshape(-1, 3, 32, 32))
            ys += entry["fine_labels" if fine else "labels"]
        expected[split] = (np.concatenate(xs), np.asarray(ys, dtype=np.int64))
    _dump(meta[1], folder / meta[0])
    return expected


@pytest.fixture
def register_md5s(monkeypatch):
    """Make torchvision's CIFAR class accept the fabricated files by registering their
    md5s on the class for this test only (the production checks stay as they are)."""
    def register(name: str, root: Path) -> None:
        cls = sources._tv_class(name)
        folder = root / cls.base_folder
        monkeypatch.setattr(cls, "train_list", [[f, _md5(folder / f)] for f, _ in cls.train_list])
        monkeypatch.setattr(cls, "test_list", [[f, _md5(folder / f)] for f, _ in cls.test_list])
        monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": _md5(folder / cls.meta["filename"])})
    return register


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_cifar_prepare_and_load_split(tmp_path, register_md5s, name):
    expected = _fabricate_cifar(tmp_path, name)
    with pytest.raises(sources.DatasetError) as err:    # real md5s: the fabricated files fail
        sources.load_split(name, tmp_path, "train")
    assert "run the download rule" in _one_line(err)
    register_md5s(name, tmp_path)
    manifest = sources.prepare(name, tmp_path)
    assert manifest["counts"] == {"train": len(expected["train"][1]), "test": len(expected["test"][1])}
    folder = sources._tv_class(name).base_folder
    assert sorted(manifest["files"]) == sorted(f"{folder}/{p.name}" for p in (tmp_path / folder).iterdir())
    for rel, sha in manifest["files"].items():
        assert hashlib.sha256((tmp_path / rel).read_bytes()).hexdigest() == sha
    for split in sources.SPLITS:
        x, y = sources.load_split(name, tmp_path, split)
        assert x.shape[1:] == (3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64
        np.testing.assert_array_equal(x, expected[split][0])
        np.testing.assert_array_equal(y, expected[split][1])


def test_cifar_download_failure_says_the_offline_fix(tmp_path, monkeypatch):
    # a closed local port: fails at once and never fetches the real archive
    monkeypatch.setattr(sources._tv_class("cifar10"), "url", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    with pytest.raises(sources.DatasetError) as err:
        sources.download("cifar10", tmp_path)
    assert f"check network access, or put cifar-10-python.tar.gz in {tmp_path}" in _one_line(err)


def test_fabricated_cifar_pickle_reads_like_the_real_one(tmp_path):
    _fabricate_cifar(tmp_path, "cifar10")
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        entry = pickle.load(f, encoding="bytes")     # the loader snippet on the CIFAR page
    assert set(entry) == {b"batch_label", b"data", b"filenames", b"labels"}
    assert entry[b"data"].shape == (4, 3072) and entry[b"data"].dtype == np.uint8


# ---------------------------------------------------------------- Tiny-ImageNet
WNIDS = ["n03000003", "n01000001", "n02000002"]           # wnids.txt order, deliberately unsorted
COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200)]  # one flat colour per class
VAL = [("val_0.JPEG", 1), ("val_1.JPEG", 2), ("val_2.JPEG", 0)]
GREY = "val_1.JPEG"                                     # the real set has some greyscale images


@pytest.fixture
def tiny_meta(monkeypatch):
    """A registry entry sized for the fabricated tree; the code reads counts from it."""
    small = dataclasses.replace(datasets.DATASETS["tiny_imagenet"], classes=3, n_train=6, n_test=3)
    monkeypatch.setitem(datasets.DATASETS, "tiny_imagenet", small)
    # never reach the network: a closed local port fails at once
    monkeypatch.setattr(tiny_imagenet, "URL", "http://127.0.0.1:9/tiny-imagenet-200.zip")
    return small


def _jpeg(path: Path, colour: tuple[int, int, int], grey: bool = False) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (64, 64), colour)
    (image.convert("L") if grey else image).save(path, "JPEG", quality=90)


def _fabricate_tiny(base: Path) -> Path:
    """The archive's layout under base/tiny-imagenet-200/."""
    folder = base / tiny_imagenet.FOLDER
    folder.mkdir(parents=True)
    (folder / "wnids.txt").write_text("".join(w + "\n" for w in WNIDS))
    (folder / "words.txt").write_text("".join(f"{w}\tthing {i}\n" for i, w in enumerate(WNIDS)))
    for wnid, colour in zip(WNIDS, COLOURS):
        for k in range(2):
            _jpeg(folder / "train" / wnid / "images" / f"{wnid}_{k}.JPEG", colour)
        (folder / "train" / wnid / f"{wnid}_boxes.txt").write_text(
            "".join(f"{wnid}_{k}.JPEG\t0\t0\t63\t63\n" for k in range(2)))
    for fname, label in VAL:
        _jpeg(folder / "val" / "images" / fname, COLOURS[label], grey=fname == GREY)
    (folder / "val" / "val_annotations.txt").write_text(
        "".join(f"{fname}\t{WNIDS[label]}\t0\t0\t63\t63\n" for fname, label in VAL))
    _jpeg(folder / "test" / "images" / "test_0.JPEG", (90, 90, 90))   # unlabelled: ignored
    return folder


def _zip(folder: Path, path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for f in sorted(folder.rglob("*")):
            z.write(f, f.relative_to(folder.parent))


def test_tiny_imagenet_from_zip(tmp_path, tiny_meta, monkeypatch):
    from PIL import Image

    tree = _fabricate_tiny(tmp_path / "made")
    root = tmp_path / "root"
    root.mkdir()
    _zip(tree, root / tiny_imagenet.FILENAME)
    monkeypatch.setattr(tiny_imagenet, "MD5", _md5(root / tiny_imagenet.FILENAME))
    manifest = sources.prepare("tiny_imagenet", root)
    assert manifest["counts"] == {"train": 6, "test": 3}
    assert manifest["source"] == tiny_imagenet.URL and manifest["shape"] == [3, 64, 64]
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == []   # no temp leftovers

    x, y = sources.load_split("tiny_imagenet", root, "train")
    assert x.shape == (6, 3, 64, 64) and x.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(y, [0, 0, 1, 1, 2, 2])                  # wnids.txt order, not sorted
    for image, label in zip(x, y):
        np.testing.assert_allclose(image.reshape(3, -1).mean(1), COLOURS[label], atol=3)
    with Image.open(root / tiny_imagenet.FOLDER / "train" / WNIDS[0] / "images" / f"{WNIDS[0]}_0.JPEG") as im:
        np.testing.assert_array_equal(x[0], np.asarray(im.convert("RGB")).transpose(2, 0, 1))

    x, y = sources.load_split("tiny_imagenet", root, "test")
    np.testing.assert_array_equal(y, [label for _, label in VAL])         # val_annotations.txt
    grey = x[[f for f, _ in VAL].index(GREY)]
    assert grey.shape == (3, 64, 64)
    np.testing.assert_array_equal(grey[0], grey[1])                       # greyscale -> RGB
    np.testing.assert_array_equal(grey[0], grey[2])


def test_tiny_imagenet_cache(tmp_path, tiny_meta, monkeypatch):
    _fabricate_tiny(tmp_path)                          # extracted tree already in place
    first = {s: sources.load_split("tiny_imagenet", tmp_path, s) for s in sources.SPLITS}
    for split in sources.SPLITS:
        for path in tiny_imagenet.cache_files(tmp_path, split):
            assert path.is_file()
    shutil.rmtree(tmp_path / tiny_imagenet.FOLDER)   # the cache alone now serves the arrays
    for split in sources.SPLITS:
        x, y = sources.load_split("tiny_imagenet", tmp_path, split)
        np.testing.assert_array_equal(x, first[split][0])
        np.testing.assert_array_equal(y, first[split][1])
    # the counts come from the registry: the real entry (100000 images) rejects this cache
    monkeypatch.undo()
    with pytest.raises(sources.DatasetError) as err:
        sources.load_split("tiny_imagenet", tmp_path, "train")
    assert "expected 100000 images" in _one_line(err) and "delete" in str(err.value)


def test_tiny_imagenet_download_rule_redecodes_its_cache(tmp_path, tiny_meta):
    """The decoded cache is trusted by load_split; the download rule re-makes it."""
    _fabricate_tiny(tmp_path)
    first = sources.prepare("tiny_imagenet", tmp_path)
    assert sorted(first["files"]) == sorted(p.name for s in sources.SPLITS
                                            for p in tiny_imagenet.cache_files(tmp_path, s))
    images_npy = tiny_imagenet.cache_files(tmp_path, "train")[0]
    np.save(images_npy, np.zeros((6, 3, 64, 64), dtype=np.uint8))     # a wrong cache of the right shape
    assert sources.prepare("tiny_imagenet", tmp_path) == first


def test_tiny_imagenet_missing_val_image(tmp_path, tiny_meta):
    folder = _fabricate_tiny(tmp_path)
    (folder / "val" / "images" / "val_2.JPEG").unlink()
    with pytest.raises(sources.DatasetError) as err:
        sources.load_split("tiny_imagenet", tmp_path, "test")
    message = _one_line(err)
    assert "val_2.JPEG: listed in val_annotations.txt but missing" in message
    assert "rerun the download rule" in message
    assert not tiny_imagenet.cache_files(tmp_path, "test")[0].exists()


def test_tiny_imagenet_missing_class_and_bad_annotation(tmp_path, tiny_meta):
    folder = _fabricate_tiny(tmp_path)
    shutil.rmtree(folder / "train" / WNIDS[2])
    with pytest.raises(sources.DatasetError) as err:
        sources.load_split("tiny_imagenet", tmp_path, "train")
    assert f"no training images for class {WNIDS[2]}" in _one_line(err)
    (folder / "val" / "val_annotations.txt").write_text("val_0.JPEG\tn09999999\t0\t0\t63\t63\n")
    with pytest.raises(sources.DatasetError) as err:
        sources.load_split("tiny_imagenet", tmp_path, "test")
    assert "val_annotations.txt:1" in _one_line(err)


def test_tiny_imagenet_offline_without_zip(tmp_path, tiny_meta):
    with pytest.raises(sources.DatasetError) as err:
        sources.download("tiny_imagenet", tmp_path)
    message = _one_line(err)
    assert f"put {tiny_imagenet.FILENAME} (md5 {tiny_imagenet.MD5}) in {tmp_path}" in message
    assert not (tmp_path / tiny_imagenet.FOLDER).exists()


# ---------------------------------------------------------------- registry
def test_registry_and_unknown_names(tmp_path):
    assert set(datasets.DATASETS) == {"mnist", "fashion_mnist", "cifar10", "cifar100", "tiny_imagenet"}
    tiny = sources.info("tiny_imagenet")
    assert (tiny.shape, tiny.classes, tiny.n_train, tiny.n_test) == ((3, 64, 64), 200, 100000, 10000)
    with pytest.raises(sources.DatasetError) as err:
        sources.prepare("imagenet", tmp_path)
    assert _one_line(err) == ("unknown dataset 'imagenet'; known: cifar10, cifar100, fashion_mnist, "
                              "mnist, tiny_imagenet")
    with pytest.raises(sources.DatasetError) as err:
        sources.load_split("mnist", tmp_path, "val")
    assert "unknown split 'val'" in _one_line(err)


# ---------------------------------------------------------------- FFCV (one .beton: >= 16 MB each)
def test_beton_round_trip(tmp_path):
    pytest.importorskip("ffcv")
    _write_idx(tmp_path / "MNIST" / "raw", _mnist_arrays(), gz=False)
    x, y = sources.load_split("mnist", tmp_path, "train")
    beton.write_beton(x, y, tmp_path / "train.beton")
    bx, by = beton.read_beton(tmp_path / "train.beton")
    assert bx.dtype == torch.uint8 and by.dtype == torch.int64
    np.testing.assert_array_equal(bx.numpy(), x)
    np.testing.assert_array_equal(by.numpy(), y)



# ---------------------------------------------------------------- offline sources from the environment
def test_offline_sources_from_environment_fill_in_but_never_override():
    from lmc.config import checks as lmc_config

    env = {"LMC_OFFLINE_MNIST": "/data/mnist", "LMC_OFFLINE_FASHION_MNIST": "/env/fmnist", "HOME": "/root"}
    cfg = {"offline_sources": {"fashion_mnist": "/cfg/fmnist"}}
    assert lmc_config.offline_sources(cfg, env) == {"fashion_mnist": "/cfg/fmnist", "mnist": "/data/mnist"}
    assert lmc_config.offline_sources({"offline_sources": {}}, {}) == {}
    problems = lmc_config.check_offline_sources({"offline_sources": {"mnist": "/nonexistent/m"}})
    assert problems == ["config error at offline_sources.mnist (or LMC_OFFLINE_MNIST): "
                        "folder /nonexistent/m does not exist (copy the dataset's original files there, "
                        "or remove the key to download instead)"]
