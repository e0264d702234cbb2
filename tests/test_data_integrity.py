"""Verified data all the way down, and no hang, no litter (docs/reliability.md): each
fault reproduced on fabricated data, first on the library, then (where Snakemake's own
behaviour matters: what it re-runs, what it deletes) with real `snakemake` runs of the
finished tiny workflow."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import ROOT, copy_workflow, job_outputs

from lmc.data import arrays, beton, resident, sources
from lmc.jobs import convert as lmc_convert
from lmc.jobs import interpolate
from lmc.jobs import train as train_job
from lmc.train import settings as train_settings

MNIST_RAW = "resources/datasets/mnist/MNIST/raw"
TRAIN_BETON = "results/datasets/mnist/train.beton"


def _one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging the test run) if the block takes longer than `seconds`."""
    def fire(*_):
        raise TimeoutError(f"still running after {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _copy_beton(betons: dict[str, str], split: str, folder: Path) -> Path:
    """A copy of the session's .beton, the arrays beside it and their records (mtimes kept:
    records not older)."""
    dst = folder / f"{split}.beton"
    shutil.copy2(betons[split], dst)
    shutil.copy2(beton.record_path(betons[split]), beton.record_path(dst))
    for kind in ("images", "labels", "record"):
        shutil.copy2(arrays.paths(betons[split])[kind], arrays.paths(dst)[kind])
    return dst


def _garble(path: Path, offset: int, n: int = 4096) -> None:
    """Overwrite n bytes at `offset` with random ones: same size, other content."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(np.random.default_rng(0).bytes(n))
    assert path.stat().st_size == size


def _readers():
    return {
        "dag check": beton.check_beton_unchanged,
        "read_beton": beton.read_beton,
        "Split.from_beton": lambda p: resident.Split.from_beton(p, "cpu"),
        "ffcv_loader": lambda p: beton.ffcv_loader(p, 64, seed=0),
    }


# ---------------------------------------------------------------- raw files vs the manifest
def test_a_changed_raw_file_stops_convert_naming_it(tmp_path, digits_folder):
    root, manifest_path = tmp_path / "root", tmp_path / "root" / "manifest.json"
    manifest = sources.prepare("mnist", root, source=digits_folder)
    assert set(manifest["files"]) == {f for files in sources.raw_files("mnist").values() for f in files}
    manifest_path.write_text(json.dumps(manifest))
    raw = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    good = raw.read_bytes()
    spoilt = bytearray(good)
    spoilt[5000] ^= 1                                   # one byte, inside an image
    raw.write_bytes(bytes(spoilt))
    outputs = {s: str(tmp_path / "out" / f"{s}.beton") for s in sources.SPLITS}
    with pytest.raises(sources.DatasetError) as err:
        lmc_convert.convert("mnist", root, manifest_path, outputs)
    message = _one_line(err)
    assert message.startswith(f"{raw}: content differs from what the download rule recorded in "
                              f"{manifest_path}")
    assert message.endswith(f"snakemake --cores 1 --forceall {outputs['train']}")
    assert not (tmp_path / "out").exists(), "nothing may be written"
    raw.write_bytes(good)
    labels = root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    kept = labels.read_bytes()
    labels.unlink()
    with pytest.raises(sources.DatasetError) as err:
        lmc_convert.convert("mnist", root, manifest_path, outputs)
    assert _one_line(err).startswith(f"{labels}: missing, though the download rule recorded it in "
                                     f"{manifest_path}")
    labels.write_bytes(kept)
    raw.write_bytes(bytes(spoilt))

    # a manifest from before per-file hashes: the split's arrays are checked instead
    del manifest["files"]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(sources.DatasetError) as err:
        lmc_convert.convert("mnist", root, manifest_path, outputs)
    assert _one_line(err).startswith(f"{root}: the train split read from MNIST/raw/train-images-idx3-ubyte, "
                                     f"MNIST/raw/train-labels-idx1-ubyte differs from the hash recorded")
    assert not (tmp_path / "out").exists()

    # the fix, the download rule again, restores the file from the source
    assert sources.prepare("mnist", root, source=digits_folder)["files"] == sources.prepare(
        "mnist", tmp_path / "fresh", source=digits_folder)["files"]


def test_raw_files_are_what_the_loaders_read():
    import torchvision.datasets as tvd

    for name, cls in (("cifar10", tvd.CIFAR10), ("cifar100", tvd.CIFAR100)):
        files = sources.raw_files(name)
        meta = cls.meta["filename"]
        assert files["train"] == [f"{cls.base_folder}/{f}" for f, _ in cls.train_list] + [
            f"{cls.base_folder}/{meta}"]
        assert files["test"] == [f"{cls.base_folder}/{f}" for f, _ in cls.test_list] + [
            f"{cls.base_folder}/{meta}"]
    assert sources.raw_files("fashion_mnist")["test"] == ["FashionMNIST/raw/t10k-images-idx3-ubyte",
                                                       "FashionMNIST/raw/t10k-labels-idx1-ubyte"]
    assert sources.raw_files("tiny_imagenet")["train"] == ["tiny-imagenet-200.train.images.npy",
                                                        "tiny-imagenet-200.train.labels.npy"]


# ---------------------------------------------------------------- .beton vs its record
def test_beton_record_describes_the_file(betons):
    for split, n in (("train", 512), ("test", 256)):
        record = beton.beton_record(betons[split])
        x, y = beton.read_beton(betons[split])
        assert record["count"] == n and record["shape"] == [1, 28, 28]
        assert record["bytes"] == os.path.getsize(betons[split]) == beton.beton_size(n, (1, 28, 28))
        assert record["file_sha256"] == hashlib.sha256(Path(betons[split]).read_bytes()).hexdigest()
        assert record["content_sha256"] == sources.content_sha256(x, y)


def test_same_size_garbage_in_a_beton_is_named_by_every_reader(tmp_path, betons):
    beton_path = _copy_beton(betons, "train", tmp_path)
    beton.check_beton_unchanged(beton_path)                  # as converted: the cheap check passes
    _garble(beton_path, (8 << 20) + 1000)      # inside the samples (data starts at the 8 MiB page)
    for what, read in _readers().items():
        with pytest.raises(beton.BetonError) as err:
            read(beton_path)
        message = _one_line(err)
        assert message.startswith(f"{beton_path}: changed since its conversion"), what
        assert message.endswith(f"rebuild it (convert only, trained results stay): "
                                f"snakemake --cores 1 --force {beton_path}"), what

    # a record that matches the garbled file (edited by hand): the decoded arrays still differ
    record = beton.beton_record(beton_path)
    record["file_sha256"] = hashlib.sha256(beton_path.read_bytes()).hexdigest()
    beton.record_path(beton_path).write_text(json.dumps(record))
    with pytest.raises(beton.BetonError) as err:
        beton.read_beton(beton_path)
    assert _one_line(err).startswith(f"{beton_path}: decodes to other arrays than its conversion recorded")


def test_a_truncated_beton_is_named_before_ffcv_reads_it(tmp_path, betons):
    beton_path = _copy_beton(betons, "test", tmp_path)
    size = beton_path.stat().st_size
    os.truncate(beton_path, size // 2)
    for what, read in _readers().items():
        with pytest.raises(beton.BetonError) as err:
            read(beton_path)
        assert _one_line(err).startswith(f"{beton_path}: {size // 2} bytes, but its conversion wrote {size} "
                                         f"(truncated or replaced)"), what
    # FFCV's own failure on such a file ("negative dimensions are not allowed") is one line too
    record = beton.beton_record(beton_path)
    record.update(bytes=size // 2, file_sha256=hashlib.sha256(beton_path.read_bytes()).hexdigest())
    beton.record_path(beton_path).write_text(json.dumps(record))
    with pytest.raises(beton.BetonError) as err:
        beton.read_beton(beton_path)
    message = _one_line(err)
    assert message.startswith(f"{beton_path}: FFCV cannot read it (") and f"--force {beton_path}" in message


def test_a_beton_without_its_record(tmp_path, betons):
    beton_path = tmp_path / "train.beton"
    shutil.copy2(betons["train"], beton_path)
    beton.check_beton_unchanged(beton_path)                  # the workflow lets convert (re)make the record
    with pytest.raises(beton.BetonError) as err:
        beton.read_beton(beton_path)
    assert _one_line(err).startswith(f"{beton_path}: no record train.beton.json beside it")
    beton.record_path(beton_path).write_text("{not json")
    with pytest.raises(beton.BetonError) as err:
        beton.check_beton_unchanged(beton_path)
    assert _one_line(err).startswith(f"{beton.record_path(beton_path)}: not a readable .beton record")


# ---------------------------------------------------------------- the arrays beside a .beton
def test_arrays_are_what_the_beton_decodes_to(betons):
    for split in ("train", "test"):
        x, y = beton.read_beton(betons[split])
        mapped = arrays.read_split(betons[split], "cpu")
        assert torch.equal(mapped.images, x) and torch.equal(mapped.labels, y)
        record = json.loads(arrays.paths(betons[split])["record"].read_text())
        assert record["content_sha256"] == beton.beton_record(betons[split])["content_sha256"]


def test_changed_arrays_are_named_by_the_dag_check_and_the_reader(tmp_path, betons):
    beton_path = _copy_beton(betons, "train", tmp_path)
    images = arrays.paths(beton_path)["images"]
    arrays.check_unchanged(beton_path)                          # as converted: passes
    _garble(images, 5000)
    with pytest.raises(beton.BetonError) as err:
        arrays.check_unchanged(beton_path)
    assert _one_line(err).startswith(f"{images}: changed since convert wrote it (sha256 differs from "
                                     f"train.arrays.json); rebuild it")
    with pytest.raises(beton.BetonError) as err:
        arrays.read_split(beton_path, "cpu")
    assert _one_line(err).startswith(f"{images}: holds other arrays than convert recorded")
    assert _one_line(err).endswith(f"snakemake --cores 1 --force {beton_path}")
    os.truncate(images, 1000)
    with pytest.raises(beton.BetonError) as err:
        arrays.check_unchanged(beton_path)
    assert "1000 bytes, but convert wrote" in _one_line(err)
    with pytest.raises(beton.BetonError) as err:
        arrays.read_split(beton_path, "cpu")
    assert _one_line(err).startswith(f"{tmp_path}: cannot map the arrays of train.beton")
    arrays.paths(beton_path)["record"].unlink()
    with pytest.raises(beton.BetonError) as err:
        arrays.read_split(beton_path, "cpu")
    assert _one_line(err).startswith(f"{arrays.paths(beton_path)['record']}: missing")


def test_jobs_check_their_data_before_touching_outputs(tmp_path, betons):
    train, test = _copy_beton(betons, "train", tmp_path), _copy_beton(betons, "test", tmp_path)
    s = train_settings.canonical(
        dict(dataset="mnist", model="mlp", depth=2, width=16, slope=0.0, optimizer="sgd",
             lr=0.1, momentum=0.9, adam_betas=[0.9, 0.999], batch_size=64, epochs=1,
             warmup_fraction=0.0, schedule="constant", weight_decay=0.0, augment="none",
             seed=0, init="torch_default", init_scale=1.0))
    outputs = job_outputs(tmp_path / "run", [0])
    for path in outputs.values():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(f"earlier {path}".encode())     # what a finished earlier run left
    before = {p: Path(p).read_bytes() for p in outputs.values()}
    state = tmp_path / "run" / "train_state.pt"
    files = {"train": str(train), "test": str(test)}
    seeds = [[train_settings.pair_seeds(s, 0)]]
    _garble(arrays.paths(train)["images"], 5000)
    for data_path in ("resident", "ffcv"):
        with pytest.raises(beton.BetonError) as err:
            train_job.train_job([s], seeds, files, [0], outputs, str(state), data_path=data_path,
                                device="cpu")
        assert _one_line(err).startswith(f"{arrays.paths(train)['images']}: holds other arrays")
    with pytest.raises(beton.BetonError):
        interpolate.interpolate_job([s], [[(outputs["a_0_0"], outputs["b_0_0"])]], files, [0.0, 1.0],
                                    [[str(tmp_path / "run" / "pair0" / "interpolation.csv")]],
                                    device="cpu")
    # the ffcv path also checks the .beton it trains from
    shutil.copy2(arrays.paths(betons["train"])["images"], arrays.paths(train)["images"])
    _garble(train, (8 << 20) + 1000)
    with pytest.raises(beton.BetonError) as err:
        train_job.train_job([s], seeds, files, [0], outputs, str(state), data_path="ffcv", device="cpu")
    assert _one_line(err).startswith(f"{train}: changed since its conversion")
    assert {p: Path(p).read_bytes() for p in outputs.values()} == before and not state.exists()
    assert not (tmp_path / "run" / "pair0" / "interpolation.csv").exists()


# ---------------------------------------------------------------- writing: no hang, no litter
def test_too_little_free_space_is_said_before_writing(tmp_path, monkeypatch, digits_splits):
    x, y = digits_splits["test"].images.numpy(), digits_splits["test"].labels.numpy()
    needed = beton.beton_size(len(y), x.shape[1:]) + beton.WRITE_MARGIN_BYTES
    full = SimpleNamespace(total=2**40, used=2**40, free=4096)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: full)
    with deadline(60), pytest.raises(sources.DatasetError) as err:       # a hang fails, not a slow machine
        beton.write_beton(x, y, tmp_path / "test.beton")
    assert _one_line(err) == (f"{tmp_path}: not enough free space to write test.beton: it needs "
                              f"{needed} bytes ({needed / 2**20:.0f} MiB), 4096 are free; free some space "
                              f"there and run again (nothing was written)")
    assert list(tmp_path.iterdir()) == []


# A conversion whose writer worker fails, in a process of its own: FFCV's writer hung in
# its wait loop, and a queue of unread work would hang the process again when it exits.
FAILING_WRITE = """
import errno, os, signal, sys, time
import numpy as np
from ffcv.memory_allocator import MemoryAllocator
from lmc.data import beton, sources

flush = MemoryAllocator.flush_page
def flush_page(self):                  # forked writer workers inherit this
    if self.my_page >= 0:              # the first page write
        if sys.argv[2] == "disk-full":
            raise OSError(errno.ENOSPC, "No space left on device")
        os.kill(os.getpid(), signal.SIGKILL)      # e.g. the OOM killer
    return flush(self)
MemoryAllocator.flush_page = flush_page

images = np.zeros((5000, 1, 28, 28), np.uint8)  # enough work queued to fill the queue's pipe
start = time.monotonic()
try:
    beton.write_beton(images, np.zeros(5000, np.int64), sys.argv[1])
except sources.DatasetError as e:
    print(f"{time.monotonic() - start:.2f}")
    print(e)
    sys.exit(3)
"""


@pytest.mark.parametrize("fault, expected", [("disk-full", "OSError: [Errno 28] No space left on device"),
                                             ("worker-killed", "worker process ended with exit code -9")])
def test_a_failing_writer_worker_fails_fast_and_leaves_nothing(tmp_path, fault, expected):
    pytest.importorskip("ffcv")
    target = tmp_path / "out" / "train.beton"
    try:
        proc = subprocess.run([sys.executable, "-c", FAILING_WRITE, str(target), fault], capture_output=True,
                              text=True, timeout=180, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    except subprocess.TimeoutExpired:
        pytest.fail(f"the failing conversion still runs after 180 s: it hangs ({fault})")
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-3000:]
    message = proc.stdout.splitlines()[-1]          # (the line before it: seconds to the failure)
    assert message.startswith(f"{target}: FFCV's writer failed ({expected}); nothing was written")
    assert list((tmp_path / "out").iterdir()) == [], "no temp file, no .beton, no record"
    assert "leaked shared_memory" not in proc.stderr, "the writer's shared memory must be released"


# ---------------------------------------------------------------- the workflow (real snakemake runs)
def _results(wf) -> dict[str, tuple[int, bytes]]:
    """Every trained or evaluated file of the workflow (not the data, logs, benchmarks of
    data jobs): mtime and bytes."""
    skip = {"datasets", "logs", "benchmarks"}
    files = [p for p in (wf.path / "results").rglob("*") if p.is_file() and not skip & set(p.parts)]
    return {str(p.relative_to(wf.path)): (p.stat().st_mtime_ns, p.read_bytes()) for p in files}


def _error_lines(proc, start: str) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith(start)]


def test_workflow_stops_on_garbage_in_a_beton_and_loses_nothing(finished_workflow, tmp_path):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    before = _results(wf)
    assert any(name.endswith("pair0/a.pt") for name in before)
    _garble(wf.path / TRAIN_BETON, (8 << 20) + 1000)
    proc = wf.snakemake("--cores", "1", "all", check=False)
    assert proc.returncode != 0
    lines = _error_lines(proc, TRAIN_BETON)
    assert lines == [f"{TRAIN_BETON}: changed since its conversion (sha256 differs from train.beton.json); "
                     f"rebuild it (convert only, trained results stay): "
                     f"snakemake --cores 1 --force {TRAIN_BETON}"]
    assert _results(wf) == before, "trained results must survive, byte for byte"
    # the fix it names rebuilds the .beton alone, and then nothing is left to do
    wf.snakemake("--cores", "1", "--force", TRAIN_BETON)
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout
    assert _results(wf) == before


def test_workflow_refuses_a_forced_retrain_on_a_truncated_beton(finished_workflow, tmp_path):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    before = _results(wf)
    beton_path = wf.path / TRAIN_BETON
    os.truncate(beton_path, beton_path.stat().st_size // 2)
    proc = wf.snakemake("--cores", "1", "--forcerun", "train_setting", "all", check=False)
    assert proc.returncode != 0
    lines = _error_lines(proc, TRAIN_BETON)
    assert len(lines) == 1 and "(truncated or replaced)" in lines[0] and f"--force {TRAIN_BETON}" in lines[0]
    assert _results(wf) == before, "Snakemake must not have deleted a.pt, b.pt, ... of the forced jobs"


def test_workflow_reconverts_after_a_raw_file_changed_and_names_it(finished_workflow, tmp_path):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    before = _results(wf)
    raw = wf.path / MNIST_RAW / "train-images-idx3-ubyte"
    spoilt = bytearray(raw.read_bytes())
    spoilt[5000] ^= 1
    raw.write_bytes(bytes(spoilt))
    plan = wf.snakemake("-n", "all").stdout
    assert "Nothing to be done" not in plan and "rule convert:" in plan      # no longer invisible
    proc = wf.snakemake("--cores", "1", "all", check=False)
    assert proc.returncode != 0 and "Error in rule convert" in proc.stdout + proc.stderr
    last = (wf.path / "results/logs/convert/mnist.log").read_text().splitlines()[-1]
    assert last == (f"lmc.data.datasets.DatasetError: {MNIST_RAW}/train-images-idx3-ubyte: content differs "
                    f"from what the download rule recorded in resources/datasets/mnist/manifest.json; "
                    f"re-import it (download and convert only, trained results stay): "
                    f"snakemake --cores 1 --forceall {TRAIN_BETON}")
    assert _results(wf) == before
    # the fix it names re-imports the source's file and re-converts; trained results stay valid
    wf.snakemake("--cores", "1", "--forceall", TRAIN_BETON)
    assert raw.read_bytes() != bytes(spoilt)
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout
    assert _results(wf) == before
    # a raw file gone: convert is planned (and will name it), not a MissingInputException
    (wf.path / MNIST_RAW / "t10k-labels-idx1-ubyte").unlink()
    plan = wf.snakemake("-n", "all").stdout
    assert "rule convert:" in plan and "Set of input files has changed" in plan
