"""The shape of the loss along the linear path, from derivatives (issue 22, part 1).

With Δ = Θ_B − Θ_A and ℓ(α) the mean cross-entropy of Θ(α) = Θ_A + αΔ over a whole split
(evaluation mode, the training normalisation): ℓ(α), ℓ′(α) = ⟨∇L(Θ(α)), Δ⟩ and
ℓ″(α) = Δᵀ H(Θ(α)) Δ at a few α, by forward-mode differentiation along the scalar α
(`torch.func.jvp` twice): no Hessian, no parameter-sized Hessian-vector product. Restricting
Δ to one layer's parameters (the rest of the network at A) gives the same quantities for
that layer's own path. ‖∇L‖ at A and B (one reverse pass each) and ‖Δ‖ complete the
picture.

Pairs are batched like interpolation (`torch.func.vmap` over stacked A and Δ), each pair
getting the numbers it gets alone; sums over the split run in float64.

The barrier predictors (`predicted_barriers`) estimate the loss barrier at the midpoint,
ℓ(½) − ½(ℓ(0) + ℓ(1)), from the endpoints' derivatives alone:
- `cubic`: (ℓ′(0) − ℓ′(1)) / 8, the midpoint of the cubic Hermite interpolant of ℓ and ℓ′
  at both ends; exact when ℓ is a polynomial of degree ≤ 3 (a quadratic loss included).
- `quintic`: 5(ℓ′(0) − ℓ′(1)) / 32 + (ℓ″(0) + ℓ″(1)) / 64, the quintic Hermite interpolant
  of ℓ, ℓ′, ℓ″ at both ends; exact up to degree 5.
- `midpoint`: −ℓ″(½) / 8, from the curvature half-way (not an endpoint quantity: the
  reference a predictor from the endpoints would want to reach); exact up to degree 3.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn
from torch.func import functional_call, grad, jvp, vmap

Params = dict[str, torch.Tensor]


def _loss_sum(model: nn.Module) -> Callable:
    """(Θ_A, Δ, α, x, y) -> summed cross-entropy of Θ_A + αΔ on the batch (one pair)."""
    def loss(a: Params, delta: Params, alpha: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        params = {k: a[k] + alpha * delta[k] for k in a}
        return nn.functional.cross_entropy(functional_call(model, params, (x,)), y, reduction="sum")
    return loss


def _along_path(model: nn.Module) -> Callable:
    """(Θ_A, Δ, α, x, y) -> (ℓ, ℓ′, ℓ″) of the summed loss at α: jvp of (ℓ, ℓ′) along α."""
    loss = _loss_sum(model)

    def values(a, delta, alpha, x, y):
        one = torch.ones_like(alpha)

        def value_and_slope(al):
            return jvp(lambda t: loss(a, delta, t, x, y), (al,), (one,))

        (value, slope), (_, curvature) = jvp(value_and_slope, (alpha,), (one,))
        return value, slope, curvature

    return values


def path_derivatives(model: nn.Module, a: Params, b: Params, images: torch.Tensor, labels: torch.Tensor,
                     normalise: Callable[[torch.Tensor], torch.Tensor],
                     alphas: Sequence[float] = (0.0, 0.5, 1.0),
                     layers: Mapping[str, Sequence[str]] | None = None,
                     batch_size: int = 1024, layer_alphas: Sequence[float] | None = None,
                     layer_loss_alphas: Sequence[float] = ()) -> dict[str, torch.Tensor]:
    """ℓ, ℓ′, ℓ″ of every pair at every α, for the whole path and for each layer's own path.

    `a`, `b`: stacked states [P, ...] of P pairs. `layers`: layer name -> its parameter names
    (Δ is zero elsewhere), differentiated at `layer_alphas` (default: `alphas`) and only
    evaluated at `layer_loss_alphas` (a forward pass, where a nested jvp costs about nine per
    linear layer). Returns float64 tensors: "loss", "slope", "curvature" [P, len(alphas)],
    and, with `layers`, "layer_loss", "layer_slope", "layer_curvature" [P, layers,
    len(layer_alphas)] and "layer_loss_only" [P, layers, len(layer_loss_alphas)] in
    `layers`' order; "grad_norm_a", "grad_norm_b", "delta_norm" [P]; all means over the
    split."""
    device = next(iter(a.values())).device
    delta = {k: b[k] - a[k] for k in a}
    layer_alphas = alphas if layer_alphas is None else layer_alphas
    directions = {"": (delta, alphas)}
    for name, keys in (layers or {}).items():
        along_layer = {k: delta[k] if k in keys else torch.zeros_like(delta[k]) for k in delta}
        directions[name] = (along_layer, layer_alphas)
    pairs, n = next(iter(a.values())).shape[0], len(labels)
    along = vmap(_along_path(model), in_dims=(0, 0, None, None, None))
    value = vmap(_loss_sum(model), in_dims=(0, 0, None, None, None))
    loss_only = torch.zeros(pairs, len(layers or {}), len(layer_loss_alphas), dtype=torch.float64,
                            device=device)
    gradient = vmap(grad(_loss_sum(model), argnums=0), in_dims=(0, None, None, None, None))
    sums = {name: torch.zeros(3, pairs, len(at), dtype=torch.float64, device=device)
            for name, (_, at) in directions.items()}
    grads = {end: {k: torch.zeros_like(v, dtype=torch.float64) for k, v in a.items()} for end in "ab"}
    zero = {k: torch.zeros_like(v[0]) for k, v in a.items()}
    for start in range(0, n, batch_size):
        x = normalise(images[start:start + batch_size])
        y = labels[start:start + batch_size]
        for name, (direction, at) in directions.items():
            for j, alpha in enumerate(at):
                values = along(a, direction, torch.tensor(float(alpha), device=device), x, y)
                for i, v in enumerate(values):
                    sums[name][i, :, j] += v.double()
        for li, name in enumerate(layers or {}):
            for j, alpha in enumerate(layer_loss_alphas):
                at = torch.tensor(float(alpha), device=device)
                loss_only[:, li, j] += value(a, directions[name][0], at, x, y).double()
        for end, params in (("a", a), ("b", b)):
            g = gradient(params, zero, torch.tensor(0.0, device=device), x, y)
            for k in g:
                grads[end][k] += g[k].double()
    out = {key: sums[""][i] / n for i, key in enumerate(("loss", "slope", "curvature"))}
    if layers:
        for i, key in enumerate(("loss", "slope", "curvature")):
            out[f"layer_{key}"] = torch.stack([sums[name][i] for name in layers], dim=1) / n
        out["layer_loss_only"] = loss_only / n
    for end in "ab":
        out[f"grad_norm_{end}"] = _norm({k: g / n for k, g in grads[end].items()})
    out["delta_norm"] = _norm({k: v.double() for k, v in delta.items()})
    return out


def _norm(params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Euclidean norm over every parameter of each member [P]."""
    return torch.sqrt(sum(v.flatten(1).pow(2).sum(1) for v in params.values()))


def predicted_barriers(slope0: torch.Tensor, slope1: torch.Tensor, curvature0: torch.Tensor,
                       curvature1: torch.Tensor, curvature_mid: torch.Tensor | None = None
                       ) -> dict[str, torch.Tensor]:
    """The midpoint loss barrier ℓ(½) − ½(ℓ(0) + ℓ(1)) predicted from derivatives (module
    docstring): `cubic`, `quintic` from the endpoints, `midpoint` from ℓ″(½) when given."""
    out = {"cubic": (slope0 - slope1) / 8,
           "quintic": 5 * (slope0 - slope1) / 32 + (curvature0 + curvature1) / 64}
    if curvature_mid is not None:
        out["midpoint"] = -curvature_mid / 8
    return out


def spawn_geometry(a: Params, b: Params, spawn: Params) -> dict[str, torch.Tensor]:
    """‖Θ_A − Θ_k‖, ‖Θ_B − Θ_k‖ and the angle (degrees) between Θ_A − Θ_k and Θ_B − Θ_k, for
    stacked pairs [P, ...] that left one point Θ_k (stacked the same way: Θ_0 or a spawn point)."""
    da = {k: (a[k] - spawn[k]).double() for k in a}
    db = {k: (b[k] - spawn[k]).double() for k in a}
    na, nb = _norm(da), _norm(db)
    dot = sum((da[k].flatten(1) * db[k].flatten(1)).sum(1) for k in a)
    cosine = (dot / (na * nb)).clamp(-1.0, 1.0)
    return {"dist_a": na, "dist_b": nb, "angle_deg": torch.rad2deg(torch.arccos(cosine))}
