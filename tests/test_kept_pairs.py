"""Kept pairs (lmc.train.kept_pairs): a finished pair's files survive Snakemake deleting a job's
outputs, and come back only with their identity and bytes intact."""
from __future__ import annotations

import os

from lmc.train import kept_pairs

MADE_BY = kept_pairs.identity({"lr": 0.1}, {"init_seed": 1, "order_seed_a": 2}, "code1", {"train": "d1"})


def _pair(tmp_path):
    pair = tmp_path / "runs/abc/pair1"
    pair.mkdir(parents=True)
    files = {}
    for name in ("a", "metrics"):
        files[name] = str(pair / f"{name}.bin")
        (pair / f"{name}.bin").write_bytes(name.encode() * 100)
    return files


def test_a_kept_pair_is_linked_not_copied_and_comes_back(tmp_path):
    files = _pair(tmp_path)
    kept_pairs.keep(files, MADE_BY)
    folder = tmp_path / "runs/abc/.kept/pair1"
    assert os.path.samefile(folder / "a", files["a"])                       # no second copy on disk
    for path in files.values():
        os.unlink(path)                                                     # what Snakemake does
    assert kept_pairs.intact(files, MADE_BY)
    kept_pairs.restore(files)
    assert open(files["a"], "rb").read() == b"a" * 100
    assert open(files["metrics"], "rb").read() == b"metrics" * 100


def test_a_pair_made_otherwise_or_damaged_is_not_intact(tmp_path):
    files = _pair(tmp_path)
    kept_pairs.keep(files, MADE_BY)
    assert not kept_pairs.intact(files, {**MADE_BY, "code": "code2"})       # other code, seeds, data
    assert not kept_pairs.intact(files, {**MADE_BY, "seeds": {"init_seed": 9, "order_seed_a": 2}})
    with open(files["a"], "r+b") as f:                                      # damage shared by the link
        f.truncate(10)
    assert not kept_pairs.intact(files, MADE_BY)
    os.unlink(tmp_path / "runs/abc/.kept/pair1/manifest.json")
    assert not kept_pairs.intact(_pair(tmp_path / "other"), MADE_BY)        # never kept

