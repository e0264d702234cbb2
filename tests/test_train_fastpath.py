"""The trainer's speed-ups keep exact semantics: a pre-normalised resident split, a split
normalised batch by batch, and FFCV Loaders reused across epochs all give bit-identical
weights and metrics."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmc.data import beton, resident, sources
from lmc.train import batches, loop
from lmc.train import settings as train_settings


def _setting(dataset: str, epochs: int = 3) -> dict:
    return train_settings.canonical(
        dict(dataset=dataset, model="mlp", depth=3, width=32, slope=0.1, optimizer="sgd",
             lr=0.05, momentum=0.9, batch_size=64, epochs=epochs, warmup_fraction=0.2,
             schedule="cosine", weight_decay=1e-4, augment=False, seed=0,
             init="torch_default", init_scale=1.0))


def _fabricated(shape, n: int, seed: int = 0):
    g = np.random.default_rng(seed)
    return g.integers(0, 256, (n, *shape), dtype=np.uint8), g.integers(0, 10, n).astype(np.int64)


def _same(a: loop.TrainResult, b: loop.TrainResult) -> None:
    for ma, mb in zip(a.members, b.members, strict=True):
        for k in ma:
            assert torch.equal(ma[k], mb[k]), k
    assert a.metrics.equals(b.metrics)


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_prenormalised_split_gives_identical_training(monkeypatch, dataset):
    meta = sources.info(dataset)
    x, y = _fabricated(meta.shape, 300)
    tr = resident.Split(torch.from_numpy(x), torch.from_numpy(y))
    te = resident.Split(torch.from_numpy(x[:50]), torch.from_numpy(y[:50]))
    s = _setting(dataset)
    init = loop.initial_state(s, 11)
    fast = loop.train_members(s, init, [1, 2], tr, te, "cpu")
    assert batches.prenormalised(tr, resident.normaliser(dataset, "cpu")) is not None
    monkeypatch.setattr(batches, "PRENORMALISE_MAX_BYTES", 0)          # force per-batch normalisation
    assert batches.prenormalised(tr, resident.normaliser(dataset, "cpu")) is None
    slow = loop.train_members(s, init, [1, 2], tr, te, "cpu")
    _same(fast, slow)


def test_ffcv_loaders_reused_across_epochs_match_resident(tmp_path):
    pytest.importorskip("ffcv")
    x, y = _fabricated(sources.info("mnist").shape, 300, seed=1)
    beton_path = tmp_path / "train.beton"
    beton.write_beton(x, y, beton_path)
    tr = resident.Split(torch.from_numpy(x), torch.from_numpy(y))
    te = resident.Split(torch.from_numpy(x[:50]), torch.from_numpy(y[:50]))
    s = _setting("mnist")
    init = loop.initial_state(s, 11)
    in_memory = loop.train_members(s, init, [5, 6], tr, te, "cpu")
    ffcv = loop.train_members(s, init, [5, 6], tr, te, "cpu", data_path="ffcv", train_beton=str(beton_path))
    _same(in_memory, ffcv)


def test_reading_a_beton_and_ffcv_training_keep_torch_threads(tmp_path):
    """FFCV sets torch's thread count to its num_workers (1) on import, Loader creation
    and every epoch start; the trainer must put the configured count back."""
    pytest.importorskip("ffcv")                       # (importing ffcv itself sets 1)
    x, y = _fabricated(sources.info("mnist").shape, 200, seed=2)
    beton_path = tmp_path / "train.beton"
    beton.write_beton(x, y, beton_path)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        split = resident.Split.from_beton(beton_path, "cpu")
        assert torch.get_num_threads() == 2
        assert (torch.equal(split.images, torch.from_numpy(x))
                and torch.equal(split.labels, torch.from_numpy(y)))
        seen = []
        s = _setting("mnist", epochs=2)
        loop.train_members(s, loop.initial_state(s, 3), [1, 2], split, split, "cpu", data_path="ffcv",
                           train_beton=str(beton_path),
                           on_epoch=lambda e: seen.append(torch.get_num_threads()))
        assert seen == [2, 2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
