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
steps first (`lmc.spawn`'s experiment in two dimensions) leaves the noise less and less
to decide: the share of pairs in opposite basins falls with k, as the instability
artefact shows on real networks. Losses are evaluated without dropout, as networks are.

Everything is computed in float64 from explicit seeds; `toy_barrier` returns the numbers
and `toy_figure` draws them (target `toy_barrier`, docs/landscape.md)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from . import io, plots
from .geometry_over_training import shape
from .layout import Table
from .path_derivatives import predicted_barriers
from .render import write_table

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
    the endpoints and the path's shape (`lmc.geometry_over_training.shape`)."""
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


def summary(pairs: pd.DataFrame) -> pd.DataFrame:
    g = pairs.groupby("spawn_step")
    return pd.DataFrame({"pairs": g.size(),
                         "opposite_basins": g["same_basin"].apply(lambda v: int((~v).sum())),
                         "loss_barrier_mean": g["loss_barrier_mid"].mean(),
                         "loss_barrier_max": g["loss_barrier_mid"].max(),
                         "ridges": g["shape"].apply(lambda v: int((v == "ridge").sum()))}).reset_index()


def toy_table(table: pd.DataFrame, seed: int) -> Table:
    header = ["spawn step k", "pairs", "pairs in opposite basins", "mean loss barrier", "largest", "ridges"]
    body = [[str(int(r["spawn_step"])), str(int(r["pairs"])), str(int(r["opposite_basins"])),
             f"{r['loss_barrier_mean']:.3g}", f"{r['loss_barrier_max']:.3g}", str(int(r["ridges"]))]
            for r in table.to_dict("records")]
    caption = (f"Toy example (beyond the paper): f(x; w) = tanh(w₁ x) + tanh(w₂ x) fitted by SGD (lr {LR}, "
               f"batch {BATCH}, {STEPS} steps, dropout {DROPOUT} on the two units) to y = tanh(4x) + "
               f"tanh(x/2) + {NOISE}·noise ({SAMPLES} samples, seed {seed}); A and B from Θ₀ = {START} "
               "(k = 0) or from a trunk trained k steps, with different batch orders and dropout masks.")
    notes = ["Loss barrier: ℓ(½) − ½(ℓ(0) + ℓ(1)) of the midpoint on the straight line; opposite basins: "
             "A and B end on opposite sides of the diagonal w₁ = w₂ (the two minima, (4, ½) and (½, 4), "
             "are one function with its units swapped).",
             "Ridges: pairs whose midpoint curvature explains at least half of the barrier "
             "(lmc.geometry_over_training.shape)."]
    return Table("Toy example", caption, header, body, table, notes)


def toy_figure(result: Mapping[str, Any]):
    """Left: the loss surface with the trajectories of a pair from Θ₀ (split by the noise)
    and of a pair spawned late (one basin), each with its straight line. Middle: the loss
    along both lines. Right: the share of pairs in opposite basins against k."""
    import matplotlib.pyplot as plt

    x, y = result["data"]
    grid = np.linspace(-0.5, 5.0, 111)
    w1, w2 = np.meshgrid(grid, grid)
    w = torch.tensor(np.stack([w1, w2], -1))
    surface = toy_loss(w, x, y).numpy()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True)
    ax = axes[0]
    ax.contourf(w1, w2, np.log10(surface), levels=30, cmap="viridis")
    ax.plot(*TEACHER, "w*", ms=10)
    ax.plot(TEACHER[1], TEACHER[0], "w*", ms=10)
    ax.plot([-0.5, 5.0], [-0.5, 5.0], color="white", lw=0.6, ls="--")
    pairs = result["pairs"]
    styles = {0: ("tab:red", "tab:orange"), 1: ("tab:blue", "tab:cyan")}
    for i, (k, shown) in enumerate(sorted(result["shown"].items())):
        ca, cb = styles[min(i, 1)]
        if len(shown["trunk"]) > 1:
            ax.plot(shown["trunk"][:, 0], shown["trunk"][:, 1], color="white", lw=1)
        ax.plot(shown["a"][:, 0], shown["a"][:, 1], color=ca, lw=1.2, label=f"k = {k}: A")
        ax.plot(shown["b"][:, 0], shown["b"][:, 1], color=cb, lw=1.2, label=f"k = {k}: B")
        ends = np.stack([shown["a"][-1], shown["b"][-1]])
        ax.plot(ends[:, 0], ends[:, 1], color=ca, ls=":", lw=1.5)
        row = pairs[(pairs["spawn_step"] == k) & (pairs["pair"] == shown["pair"])].iloc[0]
        a, b = torch.tensor(shown["a"][-1]), torch.tensor(shown["b"][-1])
        along = toy_loss(a + torch.tensor(ALPHAS)[:, None] * (b - a), x, y).numpy()
        axes[1].plot(ALPHAS, along, color=ca,
                     label=f"k = {k}: barrier {row['loss_barrier_mid']:.3g} ({row['shape']})")
    ax.plot(*START, "ko", ms=4)
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    ax.set_title("log₁₀ loss; stars: the two minima, dot: Θ₀")
    ax.legend(fontsize=7, loc="upper right")
    axes[1].set_xlabel("α (A → B)")
    axes[1].set_ylabel("loss")
    axes[1].set_title("loss along the straight line")
    axes[1].legend(fontsize=7)
    table = summary(pairs)
    axes[2].plot(table["spawn_step"], table["opposite_basins"] / table["pairs"], marker="o")
    axes[2].set_xscale("symlog", linthresh=1)
    axes[2].set_xlabel("spawn step k")
    axes[2].set_ylabel("share of pairs in opposite basins")
    axes[2].set_title("the noise decides less after k steps")
    for a in axes[1:]:
        a.grid(alpha=0.3)
    fig.suptitle("Toy example: a barrier forms between two SGD runs from one start (beyond the paper)",
                 fontsize=10)
    return fig


def render(seed: int, pairs: int, spawn_steps: Sequence[int], outputs: Mapping[str, str]) -> Table:
    """The toy_barrier target: per-pair CSV, the table by spawn step, the figure."""
    result = toy_barrier(seed, pairs, sorted(spawn_steps))
    io.write_csv(result["pairs"], outputs["pairs"])
    table = toy_table(summary(result["pairs"]), seed)
    write_table(table, outputs)
    plots.save(toy_figure(result), outputs["fig_png"], outputs["fig_pdf"])
    return table
