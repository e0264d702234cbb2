"""The initialisation schemes every model uses, in one place.

The scheme is a setting key, `init` (see `initialise`), with `init_scale` a
multiplier on the initial weight matrices and kernels:

- `torch_default` (config.yaml's default): each layer's own `reset_parameters()`, the
  bytes PyTorch's nn.Linear / nn.Conv2d give when constructed under the seed (weights
  kaiming_uniform_(a=sqrt(5)), i.e. U(±1/sqrt(fan_in)); biases U(±1/sqrt(fan_in))).
  The paper names no scheme, and this is what a PyTorch paper gets without one. The
  LC-CNN's unshared kernel is no torch layer; it gets the same rule with fan_in = C*k*k
  (what each hidden unit sees), so it is distributed exactly as its CNN twin's kernel.
- `kaiming_normal`, `kaiming_uniform`, `xavier_normal`, `xavier_uniform`: weights as
  torch.nn.init's functions of that name, with the gain of the model's nonlinearity
  (Leaky-ReLU of the MLP's slope, ReLU for CNN / LC-CNN, 1 for linear nets and the
  ViT-like model); biases ZERO. `kaiming_normal` gives exactly the bytes of this
  module's earlier fixed scheme (same draws in the same order), so runs made before
  `init` existed stay reproducible.

Whatever the scheme: LayerNorm stays (1, 0) and the ViT-like model's class token and
position embeddings are N(0, 0.02^2); `init_scale` touches neither them nor biases.
The choice matters for the paper's headline: see config.yaml and docs/reproduction.md.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

INIT_SCHEMES = ("torch_default", "kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform")


class WeightLayer(NamedTuple):
    """One weight matrix or kernel to initialise, with its bias and fans.

    `custom`: not a torch layer (no `reset_parameters()` of its own), so `torch_default`
    draws it here with the nn.Linear / nn.Conv2d rule; torch layers reset themselves when
    constructed, and `torch_default` leaves those bytes as they are."""
    weight: torch.Tensor
    bias: torch.Tensor | None
    fan_in: int
    fan_out: int
    gain: float
    custom: bool = False


def linear_layer(layer: nn.Linear | nn.Conv2d, gain: float) -> WeightLayer:
    """A torch layer's entry, with torch.nn.init's fans (Conv2d: channels x kernel area)."""
    receptive = math.prod(layer.weight.shape[2:])
    return WeightLayer(layer.weight, layer.bias, layer.weight.shape[1] * receptive,
                       layer.weight.shape[0] * receptive, gain)


def _torch_reset(t: WeightLayer) -> None:
    """nn.Linear / nn.Conv2d's reset_parameters() with explicit fans: weight
    kaiming_uniform_(a=sqrt(5)) (bound computed as torch computes it), then the bias
    U(±1/sqrt(fan_in))."""
    bound = math.sqrt(3.0) * (nn.init.calculate_gain("leaky_relu", math.sqrt(5)) / math.sqrt(t.fan_in))
    t.weight.uniform_(-bound, bound)
    if t.bias is not None:
        b = 1 / math.sqrt(t.fan_in) if t.fan_in > 0 else 0
        t.bias.uniform_(-b, b)


def initialise(layers: Sequence[WeightLayer], scheme: str, scale: float = 1.0) -> None:
    """Initialise `layers` in order by `scheme` (one of INIT_SCHEMES, see the module
    docstring): for each layer its weight, then its bias (zeroed, except under
    `torch_default`); then multiply every weight (never a bias) by `scale`. The model
    constructors call it last on their weight layers, and take `init` / `init_scale`
    keyword arguments (defaults: config.yaml's); `build_model` always passes the setting's.

    The formulas are torch.nn.init's, written with explicit fans (the LC-CNN's weight
    [positions, channels, C*k*k] would otherwise be read as fan-in channels*C*k*k):
    kaiming std = gain/sqrt(fan_in), xavier std = gain*sqrt(2/(fan_in+fan_out)); uniform
    bounds sqrt(3) std. Each expression is torch's own, so the draws are bit-identical to
    torch.nn.init.<scheme>_ on a layer with those fans. Harmless on the meta device."""
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; known: {', '.join(INIT_SCHEMES)}")
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"init_scale must be a positive number, got {scale!r}")
    with torch.no_grad():
        for t in layers:
            if scheme == "torch_default":
                if t.custom:
                    _torch_reset(t)
                continue
            if scheme.startswith("kaiming"):
                std = t.gain / math.sqrt(t.fan_in)
            else:
                std = t.gain * math.sqrt(2.0 / float(t.fan_in + t.fan_out))
            if scheme.endswith("normal"):
                t.weight.normal_(0, std)
            else:
                bound = math.sqrt(3.0) * std
                t.weight.uniform_(-bound, bound)
            if t.bias is not None:
                t.bias.zero_()
        if scale != 1.0:
            for t in layers:
                t.weight.mul_(scale)
