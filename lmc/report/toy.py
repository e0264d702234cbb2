"""The toy_barrier target (beyond the paper): the table of opposite-basin shares and barriers
per spawn step and the figure of the toy's loss surface with its runs; the toy itself is
lmc.analyses.toy."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from lmc.analyses.toy import (
    ALPHAS,
    BATCH,
    DROPOUT,
    LR,
    NOISE,
    SAMPLES,
    START,
    STEPS,
    TEACHER,
    toy_barrier,
    toy_loss,
)
from lmc.report import plots
from lmc.report.layout import Table
from lmc.report.render import write_table
from lmc.util import io


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
             "(lmc.analyses.geometry_over_training.shape)."]
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
