"""A toy example of how a barrier forms between two runs from one start (beyond the
paper; issue 22, item 4): a two-parameter model whose whole loss surface can be drawn.

The model has two hidden tanh units with one weight each and a fixed output weight of 1:
f(x; w) = tanh(w₁ x) + tanh(w₂ x), fitted by SGD (mean squared error) to y = tanh(4x) +
tanh(x/2) + noise. Swapping the units, (w₁, w₂) → (w₂, w₁), gives the same function, so
the loss has two minima, (4, ½) and (½, 4), mirror images across the diagonal w₁ = w₂ (the
permutation symmetry of real networks, in two dimensions). On the diagonal both units are
one and the loss is higher. A start on the diagonal is balanced: plain SGD would stay on
it (every gradient is symmetric there), and what breaks the tie is the training noise:
here dropout on the two units (each unit's output zeroed with probability p per sample,
the others scaled by 1/(1 − p); an augmentation-like noise drawn from the run's seed with
its batch order). Two runs from that one start with different noise pick the same unit
for the large weight (same basin, no barrier) or different ones: then the straight line
between them crosses the diagonal, a barrier. Spawning A and B from a trunk trained k
steps first (`lmc.train.spawn`'s experiment in two dimensions) leaves the noise less and less
to decide: the share of pairs in opposite basins falls with k, as the instability
artefact shows on real networks. Losses are evaluated without dropout, as networks are.

Everything is computed in float64 from explicit seeds; `toy_barrier` returns the numbers
and `toy_figure` draws them (target `toy_barrier`, docs/landscape.md)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from lmc.analyses.geometry_over_training import shape
from lmc.analyses.path_derivatives import predicted_barriers

TEACHER = (4.0, 0.5)
START = (0.3, 0.3)             # on the diagonal: both units equal
SAMPLES, NOISE = 256, 0.1
LR, BATCH, STEPS, DROPOUT = 0.1, 8, 3000, 0.1
ALPHAS = np.linspace(0.0, 1.0, 41)


def toy_data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(SAMPLES, generator=g, dtype=torch.float64)
    noise = torch.randn(SAMPLES, generator=g, dtype=torch.float64)
    return x, torch.tanh(TEACHER[0] * x) + torch.tanh(TEACHER[1] * x) + NOISE * noise


def toy_loss(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
             keep: torch.Tensor | None = None) -> torch.Tensor:
    """½ mean squared error of f(x; w) = tanh(w₁ x) + tanh(w₂ x); `w` [..., 2] may carry
    leading batch dims, `x` and `y` [..., n] the same or none; `keep` [..., 2, n] scales
    each unit's output per sample (dropout)."""
    hidden = torch.tanh(w[..., :, None] * x[..., None, :])
    if keep is not None:
        hidden = hidden * keep
    return 0.5 * ((hidden.sum(-2) - y) ** 2).mean(-1)


def sgd(start: torch.Tensor, x: torch.Tensor, y: torch.Tensor, seeds: Sequence[int],
        steps: int) -> torch.Tensor:
    """Trajectories [steps + 1, R, 2] of R SGD runs with dropout from `start` [R, 2], run r's
    batches and dropout masks drawn by seeds[r] (a fresh permutation each epoch), all runs
    stepped together (each run's numbers are its own: every operation is per run)."""
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    per_epoch = SAMPLES // BATCH
    w, path = start.clone(), [start.clone()]
    for step in range(steps):
        i = step % per_epoch
        if i == 0:  # each epoch: a run's batch order, then its dropout masks for every batch
            draws = [(torch.randperm(SAMPLES, generator=g),
                      torch.rand(per_epoch, 2, BATCH, generator=g, dtype=torch.float64) > DROPOUT)
                     for g in gens]
            orders = torch.stack([o for o, _ in draws])
            keeps = torch.stack([m for _, m in draws]).double() / (1 - DROPOUT)
        idx = orders[:, i * BATCH:(i + 1) * BATCH]
        w = w.detach().requires_grad_(True)
        loss = toy_loss(w, x[idx], y[idx], keeps[:, i]).sum()
        (grad,) = torch.autograd.grad(loss, w)
        w = (w - LR * grad).detach()
        path.append(w.clone())
    return torch.stack(path)


def path_record(a: torch.Tensor, b: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """The loss along the straight line from `a` to `b` (41 points), its midpoint barrier,
    the exact ℓ′ and ℓ″ at 0, ½ and 1 (autograd in one variable), the quintic prediction from
    the endpoints and the path's shape (`lmc.analyses.geometry_over_training.shape`)."""
    def ell(t: torch.Tensor) -> torch.Tensor:
        return toy_loss(a + t * (b - a), x, y)

    derivs = []
    for t0 in (0.0, 0.5, 1.0):
        t = torch.tensor(t0, dtype=torch.float64, requires_grad=True)
        (d1,) = torch.autograd.grad(ell(t), t, create_graph=True)
        (d2,) = torch.autograd.grad(d1, t)
        derivs.append((float(ell(t).detach()), float(d1.detach()), float(d2)))
    (l0, s0, c0), (lm, _, cm), (l1, s1, c1) = derivs
    losses = toy_loss(a + torch.tensor(ALPHAS)[:, None] * (b - a), x, y).numpy()
    barrier = lm - (l0 + l1) / 2
    quintic = predicted_barriers(*(torch.tensor(v) for v in (s0, s1, c0, c1, cm)))["quintic"]
    return {"loss_a": l0, "loss_b": l1, "loss_barrier_mid": barrier,
            "loss_barrier_max": float((losses - ((1 - ALPHAS) * l0 + ALPHAS * l1)).max()),
            "predicted_quintic": float(quintic), "curvature_mid": cm, "shape": shape(barrier, cm),
            "same_basin": bool(np.sign(float(a[0] - a[1])) == np.sign(float(b[0] - b[1])))}


def toy_barrier(seed: int, pairs: int, spawn_steps: Sequence[int]) -> dict[str, Any]:
    """`pairs` pairs spawned at each k in `spawn_steps` (k = 0: from the start itself): a
    trunk from START with its own seed for k steps, then A and B with theirs to STEPS. Per
    pair the path record; the trajectories of pair 0 at the first and last k for the figure."""
    x, y = toy_data(seed)
    start = torch.tensor(START, dtype=torch.float64)
    rows, kept = [], {}
    ends = (spawn_steps[0], spawn_steps[-1])
    base = [seed * 1_000_003 + p * 3 for p in range(pairs)]
    # a pair's trunk has one seed whatever k, so the trunk at k is the first k steps of the longest
    trunks = sgd(start.expand(pairs, 2), x, y, base, max(spawn_steps))
    for k in spawn_steps:
        # A and B of every pair in one batch of runs: members 0..pairs-1 are A, the rest B
        ab = sgd(trunks[k].repeat(2, 1), x, y, [s + 1 for s in base] + [s + 2 for s in base], STEPS - k)
        a, b = ab[:, :pairs], ab[:, pairs:]
        for p in range(pairs):
            rows.append({"spawn_step": k, "pair": p, "a_w1": float(a[-1, p, 0]), "a_w2": float(a[-1, p, 1]),
                         "b_w1": float(b[-1, p, 0]), "b_w2": float(b[-1, p, 1]),
                         **path_record(a[-1, p], b[-1, p], x, y)})
            if k in ends:
                kept[(k, p)] = {"trunk": trunks[:k + 1, p].numpy(), "a": a[:, p].numpy(),
                                "b": b[:, p].numpy(), "pair": p}
    frame = pd.DataFrame(rows)
    # shown: at the first k the first pair the noise split (pair 0 if none), at the last pair 0
    split = frame[(frame["spawn_step"] == ends[0]) & ~frame["same_basin"]]["pair"].tolist()
    shown = {ends[0]: kept[(ends[0], split[0] if split else 0)], ends[1]: kept[(ends[1], 0)]}
    return {"pairs": frame, "shown": shown, "data": (x, y)}
