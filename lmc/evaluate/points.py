"""Many points of one architecture's parameter space (members) evaluated on whole
splits, in member chunks that bound memory: the layer-wise networks and the plane's
grid. Each chunk is one batched model (`lmc.nn.stacked`), so a batch of data is read once
per chunk, as on the interpolation path."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import torch

from lmc.data import resident, sources
from lmc.nn import stacked
from lmc.nn.models import build_model
from lmc.util.logs import Progress

# Parameters of the members evaluated together (float32 bytes).
CHUNK_BYTES = 256 << 20


def flatten(state: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """All tensors of a state dict, in its order, as one float64 vector."""
    return torch.cat([t.detach().reshape(-1).to(torch.float64) for t in state.values()])


def unflatten(flat: torch.Tensor, like: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`flatten`'s inverse, each tensor in `like`'s shape and dtype: flat [..., P] -> [..., shape]."""
    out, i = {}, 0
    for name, t in like.items():
        n = t.numel()
        out[name] = flat[..., i:i + n].reshape(*flat.shape[:-1], *t.shape).to(t.dtype)
        i += n
    return out


def evaluate_members(setting: Mapping[str, Any], count: int,
                     build: Callable[[int, int], dict[str, torch.Tensor]],
                     splits: Mapping[str, resident.Split],
                     device: torch.device | str, batch_size: int = 2048,
                     chunk_bytes: int = CHUNK_BYTES) -> pd.DataFrame:
    """Loss, error and accuracy of members 0..count-1 on every split. `build(i, j)` gives
    members i..j-1 stacked ([j-i, ...] per tensor, on `device`). Rows: member, split,
    loss, error, accuracy, sorted by split then member."""
    meta = sources.info(setting["dataset"])
    model = build_model(setting, meta.shape, meta.classes).to(device)
    per_member = 4 * sum(p.numel() for p in model.parameters())
    chunk = max(1, min(count, chunk_bytes // max(1, per_member)))
    normalise = resident.normaliser(setting["dataset"], device)
    rows = []
    for split, s in splits.items():
        progress = Progress(count, what=f"{split}: members")
        for i in range(0, count, chunk):
            j = min(count, i + chunk)
            loss, acc = stacked.evaluate(model, build(i, j), s.images, s.labels, normalise, batch_size)
            rows += [{"member": m, "split": split, "loss": l, "error": 1.0 - c, "accuracy": c}
                     for m, l, c in zip(range(i, j), loss.tolist(), acc.tolist())]
            progress.update(j)
    return pd.DataFrame(rows).sort_values(["split", "member"], kind="stable").reset_index(drop=True)
