"""The linear path Θ(α) = (1-α)Θ_A + αΘ_B, evaluated at every α in batched passes."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import torch

from lmc.data import resident, sources
from lmc.nn import stacked
from lmc.nn.models import build_model
from lmc.util.logs import Progress


def evaluate_path(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor], setting: Mapping[str, Any],
                  splits: Mapping[str, resident.Split], alphas: Sequence[float], device: torch.device | str,
                  batch_size: int = 2048) -> pd.DataFrame:
    """Loss, error and accuracy of Θ(α) for every α on every split (whole splits,
    un-augmented). All α are stacked as members of one batched model, so each batch of
    data is read once for the whole path. Returns a tidy frame sorted by split, alpha."""
    meta = sources.info(setting["dataset"])
    model = build_model(setting, meta.shape, meta.classes).to(device)
    params = stacked.interpolate_states(a, b, alphas, device)
    normalise = resident.normaliser(setting["dataset"], device)
    rows = []
    for split, s in splits.items():
        progress = Progress(len(s), what=f"{split}: {len(alphas)} points x samples")
        loss, acc = stacked.evaluate(model, params, s.images, s.labels, normalise, batch_size,
                                     on_batch=lambda done, _: progress.update(done))
        for alpha, l, c in zip(alphas, loss.tolist(), acc.tolist()):
            rows.append({"split": split, "alpha": float(alpha), "loss": l, "error": 1.0 - c, "accuracy": c})
    return pd.DataFrame(rows).sort_values(["split", "alpha"], kind="stable").reset_index(drop=True)
