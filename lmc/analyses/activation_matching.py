"""Activation matching (Ainsworth et al. 2023, §3.1; Entezari et al. 2022): permute B's
hidden units so that each matches the unit of A whose activation it correlates with
most, over the training set. One linear assignment per permutation group (groups do
not interact: a unit's activations do not depend on how other layers are ordered).

Hidden activations are the inputs of the layer that reads them (an MLP's next layer, a
CNN's or LC-CNN's classifier, laid out [channels, positions]), caught by forward
pre-hooks on the model itself, so nothing of the forward pass is written twice."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from lmc.analyses.alignment import AlignError, Perms, assignment, perm_spec
from lmc.data import resident, sources
from lmc.nn.models import build_model

SUPPORTED = ("linear", "mlp", "cnn", "lcn")


def _sites(setting: Mapping[str, Any], model: nn.Module) -> list[tuple[nn.Module, Callable]]:
    """(module whose input is a hidden activation, fn: that input -> {group: [samples, units]})."""
    kind = setting["model"]
    if kind in ("linear", "mlp"):
        return [(model.layers[i], lambda x, g=f"hidden{i}": {g: x})
                for i in range(1, setting["depth"])]
    if kind in ("cnn", "lcn"):
        c = setting["channels"]

        def split(x: torch.Tensor) -> dict[str, torch.Tensor]:
            h = x.reshape(len(x), c, -1)                                   # [B, C, P]
            if kind == "cnn":                  # one channel permutation: positions are samples
                return {"channels": h.permute(0, 2, 1).reshape(-1, c)}
            return {f"pos{p}": h[:, :, p] for p in range(h.shape[2])}

        return [(model.classifier, split)]
    raise AlignError(f"activation matching is not implemented for model {kind!r} "
                     f"(supported: {', '.join(SUPPORTED)}); use weight matching")


class _Moments:
    """Running sums for the correlation of two sets of unit activations (float64)."""

    def __init__(self) -> None:
        self.n = 0
        self.sums: list[torch.Tensor] | None = None

    def add(self, xa: torch.Tensor, xb: torch.Tensor) -> None:
        xa, xb = xa.double(), xb.double()
        parts = [xa.sum(0), xb.sum(0), (xa * xa).sum(0), (xb * xb).sum(0), xa.T @ xb]
        self.sums = parts if self.sums is None else [s + p for s, p in zip(self.sums, parts)]
        self.n += len(xa)

    def correlation(self) -> np.ndarray:
        sa, sb, saa, sbb, sab = (s.cpu() for s in self.sums)
        n = self.n
        cov = sab / n - torch.outer(sa / n, sb / n)
        std_a = (saa / n - (sa / n) ** 2).clamp_min(0).sqrt()
        std_b = (sbb / n - (sb / n) ** 2).clamp_min(0).sqrt()
        return (cov / (torch.outer(std_a, std_b) + 1e-12)).numpy()


@torch.no_grad()
def hidden_moments(setting: Mapping[str, Any], a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor],
                   train: resident.Split, device: torch.device | str,
                   batch_size: int = 2048) -> dict[str, _Moments]:
    meta = sources.info(setting["dataset"])
    models = []
    for state in (a, b):
        m = build_model(setting, meta.shape, meta.classes).to(device)
        m.load_state_dict(state)
        models.append(m)
    normalise = resident.normaliser(setting["dataset"], device)
    moments: dict[str, _Moments] = {}
    caught: list[dict[str, torch.Tensor]] = [{}, {}]
    handles = []
    for m, store in zip(models, caught):
        for module, fn in _sites(setting, m):
            handles.append(module.register_forward_pre_hook(
                lambda _mod, args, fn=fn, store=store: store.update(fn(args[0]))))
    try:
        for start in range(0, len(train), batch_size):
            x = normalise(train.images[start:start + batch_size])
            for m in models:
                m(x)
            for g in caught[0]:
                moments.setdefault(g, _Moments()).add(caught[0][g], caught[1][g])
    finally:
        for h in handles:
            h.remove()
    return moments


def activation_matching(setting: Mapping[str, Any], a: Mapping[str, torch.Tensor],
                        b: Mapping[str, torch.Tensor], train: resident.Split, device: torch.device | str,
                        batch_size: int = 2048) -> Perms:
    """Permutations of B's units maximising the summed correlation with A's units."""
    spec = perm_spec(setting)
    moments = hidden_moments(setting, a, b, train, device, batch_size)
    if set(moments) != set(spec.sizes):
        raise AssertionError(f"activation sites {sorted(moments)} != permutation groups {sorted(spec.sizes)}")
    return {g: assignment(moments[g].correlation()) for g in sorted(spec.sizes)}
