"""The members of one batched training and what may differ between them.

Members that share a setting form one *group* (a pair's A and B, every pair of a
setting). A job may train several settings at once (a *bundle*, `bundle: N` in the
config) when they differ only in per-member hyperparameters (`settings.PER_MEMBER_KEYS`): each
group is then one optimiser param group with its own learning rate, warm-up, schedule,
momentum or betas, and the Leaky-ReLU slope enters the batched forward as a per-member
tensor. Each group's parameters are their own leaf tensors (concatenated for the forward
pass, which autograd splits exactly again), so every optimiser step is torch's, on the
group's members alone: a bundle gives each setting the numbers it gets alone (on CPU
byte for byte; tests/test_bundle.py).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from lmc.nn import stacked
from lmc.train.settings import PER_MEMBER_KEYS, bundle_signature


def make_optimizer(settings: Sequence[Mapping[str, Any]],
                   groups: Sequence[Sequence[torch.Tensor]]) -> torch.optim.Optimizer:
    """One optimiser over the members' groups, each group with its setting's
    hyperparameters (all settings share the optimiser family)."""
    kind = settings[0]["optimizer"]
    if any(s["optimizer"] != kind for s in settings):
        raise ValueError("the settings of one job must share their optimizer")
    if kind == "sgd":
        return torch.optim.SGD([{"params": list(p), "lr": s["lr"], "momentum": s["momentum"],
                                 "weight_decay": s["weight_decay"]} for s, p in zip(settings, groups)])
    if kind == "adam":
        return torch.optim.Adam([{"params": list(p), "lr": s["lr"], "betas": tuple(s["adam_betas"]),
                                  "weight_decay": s["weight_decay"]} for s, p in zip(settings, groups)])
    raise ValueError(f"unknown optimizer {kind!r}")


class Members:
    """Per-member settings and initial states as optimisable leaves, grouped by setting."""

    def __init__(self, settings: Sequence[Mapping[str, Any]], inits: Sequence[Mapping[str, torch.Tensor]],
                 device: torch.device | str):
        if len(settings) != len(inits):
            raise ValueError(f"{len(inits)} initial states for {len(settings)} members")
        signatures = {bundle_signature(s) for s in settings}
        if len(signatures) > 1:
            raise ValueError("settings trained together may differ only in "
                             f"{', '.join(PER_MEMBER_KEYS)}")
        self.settings = [dict(s) for s in settings]
        # consecutive members with one setting form a group: [(setting, start, stop)]
        self.groups: list[tuple[dict[str, Any], int, int]] = []
        for m, s in enumerate(self.settings):
            if self.groups and self.groups[-1][0] == s:
                self.groups[-1] = (s, self.groups[-1][1], m + 1)
            else:
                self.groups.append((s, m, m + 1))
        full = stacked.stack_states(inits, device)
        if len(self.groups) == 1:
            self.leaves = [{k: v.requires_grad_() for k, v in full.items()}]
        else:
            self.leaves = [{k: v[lo:hi].clone().requires_grad_() for k, v in full.items()}
                           for _, lo, hi in self.groups]
        # the per-member inputs of the forward pass: the MLP's slope, when settings differ in it
        slopes = {s.get("slope") for s in self.settings}
        self.inputs = ({} if len(slopes) == 1 else
                       {"negative_slope": torch.tensor([float(s["slope"]) for s in self.settings],
                                                       device=device)})

    def __len__(self) -> int:
        return len(self.settings)

    def optimizer(self) -> torch.optim.Optimizer:
        return make_optimizer([s for s, _, _ in self.groups], [list(p.values()) for p in self.leaves])

    def params(self) -> dict[str, torch.Tensor]:
        """Every member's parameters stacked [M, ...] (differentiable into the leaves)."""
        if len(self.leaves) == 1:
            return self.leaves[0]
        return {k: torch.cat([g[k] for g in self.leaves]) for k in self.leaves[0]}

    def forward_inputs(self, params: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """`params` with the per-member inputs the batched model takes beside them."""
        return {**params, **self.inputs}

    @torch.no_grad()
    def load(self, full: Mapping[str, torch.Tensor]) -> None:
        """Copy saved stacked parameters [M, ...] into the leaves (a resumed run)."""
        for g, (_, lo, hi) in zip(self.leaves, self.groups):
            for k in g:
                g[k].copy_(full[k][lo:hi])

    def learning_rates(self, optimizer: torch.optim.Optimizer, step: int, total_steps: int,
                       schedule) -> list[float]:
        """Set each group's learning rate for `step`; returns every member's."""
        rates = []
        for group, (s, lo, hi) in zip(optimizer.param_groups, self.groups):
            group["lr"] = schedule(s, step, total_steps)
            rates += [group["lr"]] * (hi - lo)
        return rates
