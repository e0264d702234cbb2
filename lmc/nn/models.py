"""Architectures of the paper, as plain `nn.Module`s that take normalised images
[B, C, H, W] and return logits [B, classes].

The trainer stacks several members' parameters and runs them with `torch.func`
(see `lmc.train.loop`), so models must be functional: no buffers that change in training
(no BatchNorm), no in-place state.

Initialisation (`init`, `init_scale` setting keys) is `lmc.nn.initialisation`; every model
calls its `initialise` on its weight layers.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from lmc.nn.initialisation import initialise, linear_layer
from lmc.nn.patch_models import CNN, AttentionViT, LocallyConnected, toeplitz_width


class MLP(nn.Module):
    """L weight layers (L-1 hidden layers of `width`) with Leaky-ReLU of negative slope
    `slope` (0 = ReLU, 1 = identity, i.e. a deep linear network); depth 1 is
    logistic regression. Every layer, the classifier included, is initialised with the
    gain of Leaky-ReLU(slope) (1 for a linear net) by `init` (module docstring)."""

    def __init__(self, in_features: int, classes: int, depth: int, width: int, slope: float, *,
                 init: str = "torch_default", init_scale: float = 1.0):
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        sizes = [in_features] + [width] * (depth - 1) + [classes]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.slope = float(slope)
        gain = nn.init.calculate_gain("leaky_relu", self.slope)
        initialise([linear_layer(layer, gain) for layer in self.layers], init, init_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for layer in self.layers[:-1]:
            x = leaky_relu(layer(x), self.slope)
        return self.layers[-1](x)

    def stacked_forward(self, params: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Every member at once: `params` stacked [M, ...] (names as in `state_dict`, plus
        `negative_slope` [M] when members differ in it: a bundle, `lmc.train.members`) and
        x [M, B, C, H, W] -> logits [M, B, classes]; what `lmc.nn.stacked` uses instead of
        vmapping `forward`. One `baddbmm` per layer with the bias fused, and each weight's
        gradient computed in the weight's own layout (`StackedLinear`): on CPU this is what
        makes a member cost no more than a plain `nn.Sequential` (bench/train_speed.py)."""
        slope = params.get("negative_slope")
        slope = self.slope if slope is None else slope.view(-1, 1, 1)
        x = x.flatten(2)
        last = len(self.layers) - 1
        for i in range(len(self.layers)):
            x = StackedLinear.apply(x, params[f"layers.{i}.weight"], params[f"layers.{i}.bias"])
            if i < last:
                x = leaky_relu(x, slope)
        return x


def leaky_relu(x: torch.Tensor, slope: float | torch.Tensor) -> torch.Tensor:
    """Leaky-ReLU of negative slope `slope` (0: ReLU, 1: identity), or of one slope per
    member (a tensor broadcast against x). The three forms give the same values forward
    and back (ReLU may differ from the others in the sign of a zero, which no sum or
    update can see); the fused kernels make one pass where the where-form makes four."""
    if torch.is_tensor(slope):
        return torch.where(x > 0, x, x * slope)
    if slope == 0.0:
        return torch.relu(x)
    return x if slope == 1.0 else nn.functional.leaky_relu(x, slope)


class StackedLinear(torch.autograd.Function):
    """y = x Wᵀ + b for M members at once: x [M, B, in], W [M, out, in], b [M, out].

    Forward is one `baddbmm` (bias fused, as `nn.Linear`'s addmm). Backward writes W's
    gradient as gᵀx, already in W's layout, where autograd's bmm rule would compute
    (xᵀg) and copy it transposed; and skips the input's gradient when nothing needs it
    (the images)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        grad_x = torch.bmm(grad, weight) if ctx.needs_input_grad[0] else None
        grad_w = torch.bmm(grad.transpose(1, 2), x) if ctx.needs_input_grad[1] else None
        grad_b = grad.sum(1) if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


def build_model(setting: Mapping[str, Any], in_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """The network a setting describes (its `model` key picks the architecture, `init`
    and `init_scale` its initialisation)."""
    kind = setting["model"]
    in_features = in_shape[0] * in_shape[1] * in_shape[2]
    init = {"init": setting["init"], "init_scale": float(setting["init_scale"])}
    if kind == "linear":
        return MLP(in_features, classes, setting["depth"], setting["width"], slope=1.0, **init)
    if kind == "mlp":
        return MLP(in_features, classes, setting["depth"], setting["width"], setting["slope"], **init)
    builder = _EXTRA_MODELS.get(kind)
    if builder is None:
        raise ValueError(f"unknown model {kind!r}; known: "
                         f"{', '.join(sorted(['linear', 'mlp', *_EXTRA_MODELS]))}")
    return builder(setting, in_shape, classes, **init)


# name -> builder(setting, in_shape, classes, init=, init_scale=); filled by the architectures below.
_EXTRA_MODELS: dict[str, Any] = {}


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- The hidden-layer variants of Figure 2 / Table 3 (paper, Appendix D) -------------------
#
# All three image models cut the input into non-overlapping k x k patches (stride = kernel,
# no padding, as in the paper); rows/columns that do not fill a whole patch are dropped,
# exactly as Conv2d with stride = kernel drops them. Hidden activations are always laid out
# [channels, H', W'] and flattened in that order, so the classifier of a CNN, its LC twin
# and its MLP twin index the same hidden unit with the same column.


_EXTRA_MODELS.update({
    "cnn": lambda s, shape, classes, **init: CNN(shape, classes, s["channels"], s["kernel"], **init),
    "lcn": lambda s, shape, classes, **init: LocallyConnected(shape, classes, s["channels"], s["kernel"],
                                                              **init),
    "vit": lambda s, shape, classes, **init: AttentionViT(shape, classes, s["patch"], s["heads"],
                                                          s["head_dim"], **init),
})


def table3_counts(in_shape: tuple[int, int, int], classes: int, channels: int, kernel: int,
                  vit_setting: Mapping[str, int] | None = None) -> dict[str, int]:
    """Parameter counts of Table 3 (CNN, LC-CNN, MLP twin) and, given a ViT setting
    (`patch`, `heads`, `head_dim`), of the ViT-like model, counted on the real classes.
    Built on the meta device, so the 25M-parameter MLP twin allocates nothing (and its
    initialisation, whatever the scheme, draws nothing)."""
    with torch.device("meta"):
        models: dict[str, nn.Module] = {
            "cnn": CNN(in_shape, classes, channels, kernel),
            "lcn": LocallyConnected(in_shape, classes, channels, kernel),
            "mlp": MLP(in_shape[0] * in_shape[1] * in_shape[2], classes, 2,
                       toeplitz_width(in_shape, channels, kernel), slope=0.0),
        }
        if vit_setting is not None:
            models["vit"] = AttentionViT(in_shape, classes, vit_setting["patch"], vit_setting["heads"],
                                         vit_setting["head_dim"])
    return {name: parameter_count(m) for name, m in models.items()}
