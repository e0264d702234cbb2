"""A split resident on the training device (`Split`: uint8 images and int64 labels), the
normalisation every model input gets (`normaliser`), and the epoch order both data paths
follow (`epoch_order`, FFCV's RANDOM order drawn again)."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from lmc.data.beton import keep_torch_threads, read_beton
from lmc.data.datasets import info


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The permutation FFCV's RANDOM order uses for `epoch` (default_rng(seed + epoch));
    the resident path draws the same one so both paths see identical batches."""
    return np.random.default_rng(seed + epoch).permutation(n)


def normaliser(name: str, device: torch.device | str):
    """uint8 [.., C, H, W] -> float32 normalised with the dataset's channel statistics
    (into `out`, a float32 tensor of x's shape, when given)."""
    meta = info(name)
    mean = torch.tensor(meta.mean, device=device).view(-1, 1, 1) * 255.0
    inv_std = 1.0 / (torch.tensor(meta.std, device=device).view(-1, 1, 1) * 255.0)

    def normalise(x: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        if out is None:
            return (x.float() - mean) * inv_std
        # the same two operations, written into `out` (one pass fewer, no temporaries)
        return torch.sub(x, mean, out=out).mul_(inv_std)

    return normalise


@dataclass
class Split:
    """A split resident on the training device: uint8 images [N, C, H, W], int64 labels."""
    images: torch.Tensor
    labels: torch.Tensor

    @classmethod
    def from_beton(cls, path: str | os.PathLike, device: torch.device | str) -> "Split":
        with keep_torch_threads():
            x, y = read_beton(path)
        return cls(x.to(device), y.to(device))

    def __len__(self) -> int:
        return len(self.labels)
