"""The resident data path draws exactly FFCV Loader's order for the same seed."""
import numpy as np
import torch

from lmc.data import beton, resident


def test_resident_order_reproduces_ffcv_loader(betons):
    images, labels = beton.read_beton(betons["train"])
    for seed in (0, 12345):
        loader = beton.ffcv_loader(betons["train"], batch_size=100, seed=seed)
        for epoch in range(3):
            seen_x, seen_y = [], []
            for x, y in loader:                      # FFCV reuses its buffers: copy
                seen_x.append(x.clone())
                seen_y.append(y.clone().reshape(-1))
            order = torch.from_numpy(resident.epoch_order(seed, epoch, len(labels)))
            assert torch.equal(torch.cat(seen_y), labels[order])
            assert torch.equal(torch.cat(seen_x), images[order])
    # and another seed really is another order
    n = len(labels)
    assert not np.array_equal(resident.epoch_order(1, 0, n), resident.epoch_order(2, 0, n))


def test_full_split_read_keeps_the_partial_last_batch(betons, digits_folder):
    images, labels = beton.read_beton(betons["test"])
    assert len(labels) == 256 and images.shape == (256, 1, 28, 28) and images.dtype == torch.uint8
