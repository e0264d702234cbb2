"""Permutation alignment of B to A (Git Re-Basin, Ainsworth et al. 2023; Entezari et al. 2022).

Hidden units can be permuted without changing the function a network computes. A
model's *permutation spec* names its permutable unit axes: a few *groups* (one per
hidden layer, or per channel set), each a permutation of `size` units, and for every
tensor of a *view* of the state dict which group (or none) each axis belongs to. The
view reshapes tensors so every permuted axis is explicit (a CNN classifier's input
[classes, channels, positions]; one LC-CNN position per tensor, since an unshared kernel
ties a unit to its position).

`weight_matching` permutes B's units to best match A's weights (coordinate descent over
groups in a seeded random order, each step a linear assignment problem solved by
`scipy.optimize.linear_sum_assignment`, until a whole sweep changes nothing);
`lmc.analyses.activation_matching` matches hidden activations instead. `permute` applies a
permutation to a state dict; the permuted network computes exactly the same logits.

A permutation maps A's unit i to B's unit perm[i]: the aligned B has B's unit perm[i] at
position i.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from lmc.data import sources

State = dict[str, torch.Tensor]
Perms = dict[str, np.ndarray]


class AlignError(ValueError):
    """The model has nothing this package can permute (or a method does not apply)."""


@dataclass(frozen=True)
class PermSpec:
    sizes: dict[str, int]                          # group -> number of units
    axes: dict[str, tuple[str | None, ...]]        # view tensor -> group (or None) of each axis
    to_view: Callable[[Mapping[str, torch.Tensor]], State]
    from_view: Callable[[Mapping[str, torch.Tensor], Mapping[str, torch.Tensor]], State]  # (view, like)

    def groups_of(self, group: str) -> list[tuple[str, int]]:
        """(view tensor, axis) of every axis permuted by `group`."""
        return [(t, i) for t, ax in self.axes.items() for i, g in enumerate(ax) if g == group]


def _identity_view(state: Mapping[str, torch.Tensor]) -> State:
    return dict(state)


def _identity_back(view: Mapping[str, torch.Tensor], like: Mapping[str, torch.Tensor]) -> State:
    return {k: view[k] for k in like}


def _mlp_spec(setting: Mapping[str, Any]) -> PermSpec:
    depth = setting["depth"]
    hidden = [f"hidden{i + 1}" for i in range(depth - 1)]
    axes: dict[str, tuple[str | None, ...]] = {}
    for i in range(depth):
        out_g = hidden[i] if i < depth - 1 else None
        in_g = hidden[i - 1] if i > 0 else None
        axes[f"layers.{i}.weight"] = (out_g, in_g)
        axes[f"layers.{i}.bias"] = (out_g,)
    return PermSpec({g: setting["width"] for g in hidden}, axes, _identity_view, _identity_back)


def _cnn_spec(setting: Mapping[str, Any], positions: int) -> PermSpec:
    c = setting["channels"]

    def to_view(s):
        v = dict(s)
        v["classifier.weight"] = s["classifier.weight"].reshape(-1, c, positions)
        return v

    def back(v, like):
        out = _identity_back(v, like)
        out["classifier.weight"] = v["classifier.weight"].reshape(like["classifier.weight"].shape)
        return out

    axes = {"conv.weight": ("channels", None, None, None), "conv.bias": ("channels",),
            "classifier.weight": (None, "channels", None), "classifier.bias": (None,)}
    return PermSpec({"channels": c}, axes, to_view, back)


def _lcn_spec(setting: Mapping[str, Any], positions: int) -> PermSpec:
    """One permutation of the channels per position: an unshared kernel ties a hidden
    unit to its position (weight [P, C, I], bias [C, P], classifier input C*P)."""
    c = setting["channels"]

    def to_view(s):
        cls = s["classifier.weight"].reshape(-1, c, positions)
        v = {"classifier.bias": s["classifier.bias"]}
        for p in range(positions):
            v[f"weight@{p}"], v[f"bias@{p}"] = s["weight"][p], s["bias"][:, p]
            v[f"classifier@{p}"] = cls[:, :, p]
        return v

    def back(v, like):
        cls = torch.stack([v[f"classifier@{p}"] for p in range(positions)], dim=2)
        return {"weight": torch.stack([v[f"weight@{p}"] for p in range(positions)]),
                "bias": torch.stack([v[f"bias@{p}"] for p in range(positions)], dim=1),
                "classifier.weight": cls.reshape(like["classifier.weight"].shape),
                "classifier.bias": v["classifier.bias"]}

    axes: dict[str, tuple[str | None, ...]] = {"classifier.bias": (None,)}
    for p in range(positions):
        axes.update({f"weight@{p}": (f"pos{p}", None), f"bias@{p}": (f"pos{p}",),
                     f"classifier@{p}": (None, f"pos{p}")})
    return PermSpec({f"pos{p}": c for p in range(positions)}, axes, to_view, back)


def _vit_spec(setting: Mapping[str, Any]) -> PermSpec:
    """What the ViT-like model's structure allows: its embedding width (patch embedding,
    class token, positions, the first LayerNorm and qkv's input: LayerNorm is permutation
    equivariant), whole attention heads (q, k, v rows of a head and the output projection's
    columns for it) and the output width (projection rows, the last LayerNorm, the
    classifier's input; no skip connection ties it to the embedding width). Dimensions
    inside a head are left in place."""
    h, d = setting["heads"], setting["head_dim"]
    dim = h * d

    def to_view(s):
        v = dict(s)
        w, b = s["qkv.weight"].reshape(3, h, d, dim), s["qkv.bias"].reshape(3, h, d)
        for i, name in enumerate("qkv"):
            v[f"{name}.weight"], v[f"{name}.bias"] = w[i], b[i]
        del v["qkv.weight"], v["qkv.bias"]
        v["proj.weight"] = s["proj.weight"].reshape(dim, h, d)
        return v

    def back(v, like):
        out = {k: v[k] for k in like if k not in ("qkv.weight", "qkv.bias")}
        out["qkv.weight"] = torch.stack([v[f"{n}.weight"] for n in "qkv"]).reshape(3 * dim, dim)
        out["qkv.bias"] = torch.stack([v[f"{n}.bias"] for n in "qkv"]).reshape(3 * dim)
        out["proj.weight"] = v["proj.weight"].reshape(dim, dim)
        return {k: out[k] for k in like}

    axes: dict[str, tuple[str | None, ...]] = {
        "embed.weight": ("embed", None), "embed.bias": ("embed",), "cls_token": ("embed",),
        "pos": (None, "embed"), "norm_attn.weight": ("embed",), "norm_attn.bias": ("embed",),
        "proj.weight": ("out", "heads", None), "proj.bias": ("out",),
        "norm_out.weight": ("out",), "norm_out.bias": ("out",), "head.weight": (None, "out"),
        "head.bias": (None,)}
    for name in "qkv":
        axes[f"{name}.weight"] = ("heads", None, "embed")
        axes[f"{name}.bias"] = ("heads", None)
    return PermSpec({"embed": dim, "heads": h, "out": dim}, axes, to_view, back)


def perm_spec(setting: Mapping[str, Any]) -> PermSpec:
    """The permutation spec of a setting's model (every model of lmc.nn.models has one; a
    1-layer network has no groups, so its aligned B is B)."""
    model = setting["model"]
    if model in ("linear", "mlp"):
        return _mlp_spec(setting)       # depth 1 (logistic regression): no hidden units, no groups
    if model in ("cnn", "lcn"):
        _, h, w = sources.info(setting["dataset"]).shape
        k = setting["kernel"]
        positions = (h // k) * (w // k)
        return _cnn_spec(setting, positions) if model == "cnn" else _lcn_spec(setting, positions)
    if model == "vit":
        return _vit_spec(setting)
    raise AlignError(f"no permutation spec for model {model!r}")


def _take(t: torch.Tensor, axis: int, perm: np.ndarray) -> torch.Tensor:
    return torch.index_select(t, axis, torch.as_tensor(perm, dtype=torch.long, device=t.device))


def _permuted(spec: PermSpec, view: Mapping[str, torch.Tensor], name: str, perms: Perms,
              skip: int | None = None) -> torch.Tensor:
    t = view[name]
    for axis, g in enumerate(spec.axes[name]):
        if g is not None and axis != skip:
            t = _take(t, axis, perms[g])
    return t


def permute(setting: Mapping[str, Any], state: Mapping[str, torch.Tensor], perms: Mapping[str, Any]) -> State:
    """`state` with every group's units permuted (`perms`: group -> indices); the network
    computes the same function."""
    spec = perm_spec(setting)
    perms = {g: np.asarray(p, dtype=np.int64) for g, p in perms.items()}
    view = spec.to_view(state)
    out = {n: _permuted(spec, view, n, perms) for n in view}
    return {k: v.contiguous() for k, v in spec.from_view(out, state).items()}


def identity(spec: PermSpec) -> Perms:
    return {g: np.arange(n) for g, n in spec.sizes.items()}


def weight_matching(setting: Mapping[str, Any], a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor],
                    seed: int, max_sweeps: int = 100) -> tuple[Perms, int]:
    """Permutations of B's units that maximise Σ <W_A, P W_B> over all weights (Ainsworth
    et al. 2023, Alg. 1): coordinate descent, one group at a time (a linear assignment
    problem with the other groups fixed), groups in an order drawn from `seed` each
    sweep, until a sweep changes no permutation. A group's permutation is replaced only
    when the new one is strictly better (ties keep it, so the descent cannot cycle).
    Returns (permutations, sweeps done). Computed in float64 on the CPU."""
    spec = perm_spec(setting)
    va = {k: v.detach().to("cpu", torch.float64) for k, v in spec.to_view(a).items()}
    vb = {k: v.detach().to("cpu", torch.float64) for k, v in spec.to_view(b).items()}
    perms = identity(spec)
    groups = sorted(spec.sizes)
    rng = np.random.default_rng(seed)
    for sweep in range(1, max_sweeps + 1):
        changed = False
        for g in rng.permutation(groups):
            n = spec.sizes[g]
            cost = torch.zeros(n, n, dtype=torch.float64)
            for name, axis in spec.groups_of(g):
                wa = va[name].movedim(axis, 0).reshape(n, -1)
                wb = _permuted(spec, vb, name, perms, skip=axis).movedim(axis, 0).reshape(n, -1)
                cost += wa @ wb.T
            c = cost.numpy()
            _, best = linear_sum_assignment(c, maximize=True)
            rows = np.arange(n)
            if c[rows, best].sum() > c[rows, perms[g]].sum() + 1e-12 * max(1.0, abs(c).max()):
                perms[g] = best
                changed = True
        if not changed:
            return perms, sweep
    return perms, max_sweeps


def assignment(similarity: np.ndarray) -> np.ndarray:
    """The permutation maximising the total similarity (A unit i -> B unit perm[i])."""
    return linear_sum_assignment(similarity, maximize=True)[1]


def perms_json(perms: Mapping[str, np.ndarray]) -> dict[str, list[int]]:
    return {g: [int(i) for i in p] for g, p in sorted(perms.items())}
