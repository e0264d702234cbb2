"""The batches of one epoch, every member in its own data order and all members in
lockstep: gathered from the resident split (`ResidentBatches`) or read by FFCV Loaders
(`FFCVBatches`)."""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from lmc.data import beton, resident

# A resident train split is normalised once per `train_members` call (float32 on the
# device) when that copy fits in this many bytes; batches are then plain row gathers of
# it. Larger splits are normalised batch by batch. Both give bit-identical inputs: the
# normalisation is the same element-wise function either way.
PRENORMALISE_MAX_BYTES = 2 << 30


def prenormalised(train: resident.Split, normalise, chunk: int = 2048) -> torch.Tensor | None:
    """The whole split normalised (float32, on its device), or None if it is too big.
    Filled chunk by chunk into one buffer: small chunks stay in cache."""
    if train.images.numel() * 4 > PRENORMALISE_MAX_BYTES:
        return None
    out = torch.empty(train.images.shape, dtype=torch.float32, device=train.images.device)
    for i in range(0, len(train), chunk):
        normalise(train.images[i:i + chunk], out=out[i:i + chunk])
    return out


class ResidentBatches:
    """Batches gathered from the resident train split, each member in its own
    `resident.epoch_order` (FFCV's RANDOM order). The split is normalised once if that copy
    fits in `PRENORMALISE_MAX_BYTES`, else batch by batch."""

    def __init__(self, train: resident.Split, order_seeds: Sequence[int], batch_size: int, normalise,
                 device: torch.device | str):
        self.train, self.order_seeds, self.batch_size = train, list(order_seeds), batch_size
        self.normalise, self.device = normalise, device
        self.inputs = prenormalised(train, normalise)
        # One input buffer reused by every step (a step is finished, backward included,
        # before the next gather overwrites it; autograd's version counter would catch
        # any misuse). Saves allocating and faulting in a fresh batch each step.
        self.buffer = None if self.inputs is None else self.inputs.new_empty(
            (len(self.order_seeds) * min(batch_size, len(train)), *self.inputs.shape[1:]))

    def epoch(self, epoch: int):
        """Yield (x float32 normalised [M, b, C, H, W], y [M, b]), members in lockstep."""
        n, bs = len(self.train), self.batch_size
        orders = torch.from_numpy(np.stack([resident.epoch_order(s, epoch, n)
                                            for s in self.order_seeds])).to(self.device)
        for start in range(0, n, bs):
            idx = orders[:, start:start + bs]
            if self.inputs is None:
                x = self.normalise(self.train.images[idx])
            else:
                x = torch.index_select(self.inputs, 0, idx.reshape(-1), out=self.buffer[:idx.numel()])
                x = x.view(*idx.shape, *self.inputs.shape[1:])
            yield x, self.train.labels[idx]


class FFCVBatches:
    """Batches read by one FFCV Loader per member, built once and reused every epoch
    (a Loader compiles its pipeline on first use, ~0.5 s; later epochs reuse the code).
    Keeps torch's CPU thread count as it was when built (see `beton.keep_torch_threads`)."""

    def __init__(self, path: str | os.PathLike, order_seeds: Sequence[int], batch_size: int, normalise,
                 device: torch.device | str):
        self.normalise, self.device = normalise, device
        with beton.keep_torch_threads() as self.threads:
            self.loaders = [beton.ffcv_loader(path, batch_size, seed=s) for s in order_seeds]

    def epoch(self, epoch: int):
        """Yield (x float32 normalised [M, b, C, H, W], y [M, b]), members in lockstep."""
        for loader in self.loaders:
            loader.next_epoch = epoch       # FFCV's order is default_rng(seed + next_epoch)
        for i, batches in enumerate(zip(*self.loaders)):
            if i == 0:
                # every Loader's epoch thread has set torch's threads to 1 before its first batch
                torch.set_num_threads(self.threads)
            xs = torch.stack([b[0] for b in batches]).to(self.device)
            ys = torch.stack([b[1].reshape(-1) for b in batches]).to(self.device).long()
            yield self.normalise(xs), ys
