"""Architectures of the paper, as plain `nn.Module`s that take normalised images
[B, C, H, W] and return logits [B, classes].

The trainer stacks several members' parameters and runs them with `torch.func`
(see `lmc.train`), so models must be functional: no buffers that change in training
(no BatchNorm), no in-place state. Initialisation follows the first author's later
codebase: Kaiming-normal weights (gain for the Leaky-ReLU slope), zero biases.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn


class MLP(nn.Module):
    """L weight layers (L-1 hidden layers of `width`) with Leaky-ReLU of negative slope
    `slope` (0 = ReLU, 1 = identity, i.e. a deep linear network); depth 1 is
    logistic regression."""

    def __init__(self, in_features: int, classes: int, depth: int, width: int, slope: float):
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        sizes = [in_features] + [width] * (depth - 1) + [classes]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.slope = float(slope)
        for layer in self.layers:
            nn.init.kaiming_normal_(layer.weight, a=self.slope, nonlinearity="leaky_relu")
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for layer in self.layers[:-1]:
            x = layer(x)
            if self.slope != 1.0:
                x = nn.functional.leaky_relu(x, self.slope)
        return self.layers[-1](x)


def build_model(setting: Mapping[str, Any], in_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """The network a setting describes (its `model` key picks the architecture)."""
    kind = setting["model"]
    in_features = in_shape[0] * in_shape[1] * in_shape[2]
    if kind == "linear":
        return MLP(in_features, classes, setting["depth"], setting["width"], slope=1.0)
    if kind == "mlp":
        return MLP(in_features, classes, setting["depth"], setting["width"], setting["slope"])
    builder = _EXTRA_MODELS.get(kind)
    if builder is None:
        raise ValueError(f"unknown model {kind!r}; known: {', '.join(sorted(['linear', 'mlp', *_EXTRA_MODELS]))}")
    return builder(setting, in_shape, classes)


# name -> builder(setting, in_shape, classes); filled by the architectures below.
_EXTRA_MODELS: dict[str, Any] = {}


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
