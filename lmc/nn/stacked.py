"""Several networks of one architecture run as one batched computation.

A *member* is one network (A or B of a pair, or one point Θ(α) of a path). Their
parameters are stacked along a new leading dimension and the architecture is applied
with `torch.func.functional_call` under `torch.func.vmap`, so every layer becomes a
batched kernel (bmm for linear layers) instead of a Python loop over models. Because
the members' parameters are disjoint slices and the losses are summed, gradients and
element-wise optimiser updates (SGD, Adam) are exactly those of training each alone.
A model that has a `stacked_forward` (the MLP: one `baddbmm` per layer, see
`lmc.nn.models.StackedLinear`) is run by it instead of by vmap: same numbers per member, the
plain loop's speed (docs/performance.md).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn
from torch.func import functional_call, vmap

Params = dict[str, torch.Tensor]


def stack_states(states: Sequence[Mapping[str, torch.Tensor]], device: torch.device | str) -> Params:
    """Stack state dicts member-wise into tensors of shape [members, ...]."""
    names = list(states[0])
    return {n: torch.stack([s[n] for s in states]).to(device) for n in names}


def unstack(params: Mapping[str, torch.Tensor], member: int) -> Params:
    """One member's state dict (CPU, contiguous), e.g. to save a checkpoint."""
    return {n: p[member].detach().to("cpu").contiguous().clone() for n, p in params.items()}


def interpolate_states(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor],
                       alphas: Sequence[float], device: torch.device | str) -> Params:
    """Θ(α) = (1-α)Θ_A + αΘ_B for every α, stacked: [len(alphas), ...] per tensor.

    Computed in float64 and rounded once, so Θ(0) and Θ(1) are bit-identical to A and B.
    """
    out = {}
    for n in a:
        ta, tb = a[n].to(device, torch.float64), b[n].to(device, torch.float64)
        al = torch.tensor(list(alphas), dtype=torch.float64, device=device).view(-1, *([1] * ta.dim()))
        out[n] = ((1 - al) * ta + al * tb).to(a[n].dtype)
    return out


def batched_forward(model: nn.Module,
                    shared_input: bool = False) -> Callable[[Params, torch.Tensor], torch.Tensor]:
    """f(params[M, ...], x) -> logits [M, B, classes].

    `x` is [M, B, ...] (each member its own batch, as in training with different data
    orders) or, with `shared_input`, [B, ...] seen by every member (evaluation)."""
    if hasattr(model, "stacked_forward"):
        # a model written for stacked parameters (lmc.nn.models.MLP): no vmap, fused kernels
        if not shared_input:
            return model.stacked_forward

        def every_member(params: Params, x: torch.Tensor) -> torch.Tensor:
            members = next(iter(params.values())).shape[0]
            return model.stacked_forward(params, x.expand(members, *x.shape))

        return every_member

    def one(params: Params, x: torch.Tensor) -> torch.Tensor:
        return functional_call(model, params, (x,))

    return vmap(one, in_dims=(0, None if shared_input else 0))


@torch.no_grad()
def evaluate(model: nn.Module, params: Params, images: torch.Tensor, labels: torch.Tensor,
             normalise: Callable[[torch.Tensor], torch.Tensor], batch_size: int = 2048,
             on_batch: Callable[[int, int], None] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and accuracy of every member on a whole split (no sample
    dropped), both float64 [members]. `images` are uint8 on the params' device;
    `on_batch(samples done, samples)` is called after each batch (progress lines)."""
    forward = batched_forward(model, shared_input=True)
    members = next(iter(params.values())).shape[0]
    device = next(iter(params.values())).device
    loss_sum = torch.zeros(members, dtype=torch.float64, device=device)
    correct = torch.zeros(members, dtype=torch.float64, device=device)
    for start in range(0, len(labels), batch_size):
        x = normalise(images[start:start + batch_size])
        y = labels[start:start + batch_size]
        logits = forward(params, x)                                    # [M, B, K]
        flat = nn.functional.cross_entropy(logits.flatten(0, 1), y.repeat(members), reduction="none")
        loss_sum += flat.view(members, -1).sum(1, dtype=torch.float64)
        correct += (logits.argmax(-1) == y).sum(1, dtype=torch.float64)
        if on_batch is not None:
            on_batch(min(start + batch_size, len(labels)), len(labels))
    n = len(labels)
    return loss_sum / n, correct / n
