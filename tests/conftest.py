"""Shared fixtures: a small learnable dataset in MNIST's real idx format, and a copy
of the workflow in a temporary directory for real `snakemake` runs."""
from __future__ import annotations

import atexit
import gzip
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from lmc.config.plan import jobs_per_rule  # noqa: F401  (tests import it from here)
from lmc.data import resident
from lmc.util import pair_files

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
WORKFLOW_FILES = ["Snakefile", "config.yaml", "config", "rules", "scripts", "envs", "docs/report"]


def learnable_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 images whose class is a bright 7x7 block at one of 10 places, plus
    noise: learnable in a few epochs, hard enough that networks differ."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 90, (n, 28, 28)).astype(np.uint8)
    for i, c in enumerate(labels):
        r, q = divmod(int(c), 5)
        images[i, 3 + 12 * r: 10 + 12 * r, 1 + 5 * q: 8 + 5 * q] += 120
    return images, labels


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


# The fabricated MNIST-format files are not MNIST: lmc.data.sources refuses any content but the
# canonical one unless the environment names further accepted hashes. One file for the
# session, filled by `accept_idx`; real Snakemake runs inherit the variable.
_ACCEPTED_IDX = Path(tempfile.mkdtemp(prefix="lmc-accepted-idx-")) / "accepted.json"
_ACCEPTED_IDX.write_text("{}")
atexit.register(shutil.rmtree, _ACCEPTED_IDX.parent, ignore_errors=True)
os.environ["LMC_EXTRA_IDX_SHA256"] = str(_ACCEPTED_IDX)


def accept_idx(folder: Path, dataset: str = "mnist") -> None:
    """Accept the content of every idx file in `folder` (gzipped or not) as `dataset`'s,
    for this test session only (lmc.data.idx.EXTRA_IDX_ENV)."""
    accepted = json.loads(_ACCEPTED_IDX.read_text()) if _ACCEPTED_IDX.exists() else {}
    for path in sorted(folder.glob("*-ubyte*")):
        raw = path.read_bytes()
        content = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        name = path.name.removesuffix(".gz").replace(".idx", "-idx")
        hashes = accepted.setdefault(dataset, {}).setdefault(name, [])
        digest = hashlib.sha256(content).hexdigest()
        if digest not in hashes:
            hashes.append(digest)
    _ACCEPTED_IDX.write_text(json.dumps(accepted))


def write_idx_folder(folder: Path, n_train: int = 512, n_test: int = 256, gz: bool = True) -> Path:
    """The four MNIST idx files (gzipped, as distributed) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    arrays["train"] = learnable_digits(n_train, 1)
    arrays["t10k"] = learnable_digits(n_test, 2)
    for prefix, (x, y) in arrays.items():
        for kind, arr in (("images-idx3", x), ("labels-idx1", y)):
            name = f"{prefix}-{kind}-ubyte"
            data = idx_bytes(arr)
            if gz:
                (folder / (name + ".gz")).write_bytes(gzip.compress(data, mtime=0))
            else:
                (folder / name).write_bytes(data)
    accept_idx(folder)
    return folder


@pytest.fixture(scope="session")
def digits_folder(tmp_path_factory) -> Path:
    return write_idx_folder(tmp_path_factory.mktemp("digits"))


def tiny_config(digits: Path, **overrides) -> dict:
    """A config that trains 2 settings x 2 pairs for 2 epochs on fabricated MNIST."""
    with open(ROOT / "config.yaml") as f:
        cfg = yaml.safe_load(f)
    cfg.update({"offline_sources": {"mnist": str(digits)}, "pairs": 2, "checkpoint_every": 1, "bundle": 1,
                "alphas": [0.0, 0.25, 0.5, 0.75, 1.0], "threads": 1})
    cfg["defaults"].update({"dataset": "mnist", "epochs": 2, "batch_size": 64, "width": 32})
    cfg["analysis"].pop("toy", None)     # seconds per workflow; tests/test_dynamics.py runs it
    cfg["artefacts"] = {"table2": {"base": {"model": "mlp", "depth": 2, "slope": 0.0}, "grid": [[
        {"label": "SGD ↑Lr", "optimizer": "sgd", "lr": 0.1},
        {"label": "ADAM ↓Lr", "optimizer": "adam", "lr": 0.001},
    ]]}}
    for k, v in overrides.items():
        cfg[k] = v
    return cfg


class Workflow:
    """The project's workflow copied into a temporary directory."""

    # where its runs import `lmc` from (see own_library)
    pythonpath: Path = ROOT

    def __init__(self, path: Path):
        self.path = path
        for item in WORKFLOW_FILES:
            src = ROOT / item
            dst = path / item
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy(src, dst)

    @classmethod
    def at(cls, path: Path) -> "Workflow":
        """An existing workflow directory (e.g. the repository itself), not copied."""
        wf = cls.__new__(cls)
        wf.path = path
        return wf

    def own_library(self) -> Path:
        """Copy lmc/ into the workflow directory and run with PYTHONPATH there, so a test
        can edit the library the workflow uses. Returns the copy."""
        dst = self.path / "lmc"
        shutil.copytree(ROOT / "lmc", dst, ignore=shutil.ignore_patterns("__pycache__"))
        self.pythonpath = self.path
        return dst

    def write_config(self, cfg: dict, name: str = "config.yaml") -> Path:
        p = self.path / name
        p.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
        return p

    def snakemake(self, *args: str, timeout: int = 600, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ, PYTHONPATH=str(self.pythonpath))
        proc = subprocess.run([SNAKEMAKE, *args], cwd=self.path, env=env, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
        return proc


def assert_config_error(wf: Workflow, override: dict, expected: str) -> None:
    """`snakemake all` with `override` as an extra config file stops with exactly one line
    starting "config error" that contains `expected`, and changes no file under results/."""
    (wf.path / "bad.yaml").write_text(yaml.safe_dump(override, allow_unicode=True))
    before = {p: p.stat().st_mtime_ns for p in (wf.path / "results").rglob("*") if p.is_file()}
    proc = wf.snakemake("--cores", "1", "all", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("config error")]
    assert len(lines) == 1 and expected in lines[0], proc.stderr[-2000:]
    after = {p: p.stat().st_mtime_ns for p in (wf.path / "results").rglob("*") if p.is_file()}
    assert after == before, "a bad config must not touch computed results"


@pytest.fixture(scope="session")
def finished_workflow(tmp_path_factory, digits_folder) -> tuple[Workflow, float]:
    """The tiny config run to completion once per session (minutes on 2 busy cores), and
    how long that took. Tests that change its files work on a `copy_workflow` of it."""
    wf = Workflow(tmp_path_factory.mktemp("pipeline") / "wf")
    wf.write_config(tiny_config(digits_folder))
    start = time.time()
    wf.snakemake("--cores", "2", "all")
    return wf, time.time() - start


def copy_workflow(wf: Workflow, dest: Path) -> Workflow:
    """A copy of a workflow directory, results and Snakemake's metadata included, with the
    files' mtimes (what Snakemake decides on) kept."""
    shutil.copytree(wf.path, dest, symlinks=True)
    return Workflow.at(dest)


@pytest.fixture
def workflow(tmp_path) -> Workflow:
    return Workflow(tmp_path / "wf")


@pytest.fixture(scope="session")
def digits_splits(tmp_path_factory, digits_folder):
    """Resident train/test splits of the fabricated dataset (as `lmc.data.resident.Split`)."""
    from lmc.data import sources as data

    root = tmp_path_factory.mktemp("digits_root")
    data.import_local("mnist", digits_folder, root)
    out = {}
    for split in data.SPLITS:
        x, y = data.load_split("mnist", root, split)
        out[split] = resident.Split(torch.from_numpy(x), torch.from_numpy(y))
    return out


@pytest.fixture(scope="session")
def betons(tmp_path_factory, digits_folder) -> dict[str, str]:
    """The fabricated dataset as .beton files and the arrays beside them, as convert
    writes them (each .beton is ~16 MB, so made once)."""
    from lmc.data import arrays, beton
    from lmc.data import sources as data

    root = tmp_path_factory.mktemp("betons")
    data.import_local("mnist", digits_folder, root / "raw")
    out = {}
    for split in data.SPLITS:
        x, y = data.load_split("mnist", root / "raw", split)
        out[split] = str(root / f"{split}.beton")
        beton.write_beton(x, y, out[split])
        arrays.write_arrays(x, y, out[split])
    return out


def job_outputs(folder: Path, pairs, settings: int = 1) -> dict[str, str]:
    """A training job's `outputs` for `pairs` of `settings` settings: folder/s{i}/pair{k}/...
    (folder/pair{k}/... for one setting) and each setting.json."""

    out = {}
    for i in range(settings):
        base = folder if settings == 1 else folder / f"s{i}"
        out[pair_files.setting_key(i)] = str(base / "setting.json")
        for k in pairs:
            for name, file in pair_files.PAIR_FILES.items():
                out[pair_files.output_key(name, i, k)] = str(base / f"pair{k}" / file)
    return out


# Markers. `workflow`: the test (or a fixture it uses) runs real Snakemake or another
# process of the project (a script, the bench, ruff, FFCV's writer in a child); `slurm`:
# a SLURM cluster (tests/test_slurm.py); every other test is `unit` (seconds, in-process).
# `pytest -m unit` runs the fast ones alone, `pytest -m workflow` the rest.
_PROCESS_CALLS = ("snakemake(", "Workflow(", "Workflow.at(", "copy_workflow(", "assert_config_error(",
                  "subprocess.", "multiprocessing.", "plan.dry_run(")


def _runs_processes(func, depth: int = 2) -> bool:
    """Whether `func`, or a function of the tests it calls (`depth` levels down), starts one."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return False
    if any(call in source for call in _PROCESS_CALLS):
        return True
    if depth == 0 or not hasattr(func, "__code__"):
        return False
    names = set(func.__code__.co_names) | {n for c in func.__code__.co_consts if inspect.iscode(c)
                                           for n in c.co_names}
    helpers = [inspect.unwrap(h) for n in names if callable(h := func.__globals__.get(n))]
    return any(_runs_processes(h, depth - 1) for h in helpers
               if inspect.isfunction(h) and "tests" in Path(inspect.getfile(h)).parts)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("slurm"):
            continue
        funcs = [getattr(item, "function", None)]
        for name in item.fixturenames:
            funcs += [d.func for d in item._fixtureinfo.name2fixturedefs.get(name, ())]
        heavy = any(_runs_processes(f) for f in funcs if f)
        item.add_marker(pytest.mark.workflow if heavy else pytest.mark.unit)
