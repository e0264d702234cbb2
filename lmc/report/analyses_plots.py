"""Figures of the analyses beyond the paper: the layer-wise heatmap (layer x setting) and
the test-error contours on the plane through Θ₀, A and B. Saved by `lmc.report.plots.save`."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from lmc.report.plots import _wrap

VARIANT_TITLES = {"single": "layer l replaced by ½(A_l + B_l)", "cumulative": "layers 1..l replaced"}


def layerwise_heatmap(lw: pd.DataFrame, titles: Mapping[int, str], title: str) -> plt.Figure:
    """Test error barrier (%) per layer (rows, input to output) and setting (columns), mean
    over pairs and both ends; one panel per variant (single layer, cumulative). Each cell
    shows its value and the layer's name; white is no barrier (a colour scale symmetric
    about 0, at least ±0.5 %); grey: the setting has no such layer."""
    test = lw[lw["split"] == "test"]
    cells = sorted(set(int(c) for c in test["cell"]))
    depth = int(test["layer_index"].max())
    width = max(4.5, 2.0 + 1.3 * len(cells))
    fig, axes = plt.subplots(1, 2, figsize=(2 * width, 2.2 + 0.55 * depth), squeeze=False)
    means = test.groupby(["variant", "layer_index", "cell"])["error_barrier"].mean() * 100
    # diverging around 0 (no barrier: white; red above the endpoints' mean, blue below)
    hi = max(float(means.abs().max()), 0.5)
    lo = -hi
    layer_names = test.drop_duplicates(["cell", "layer_index"]).set_index(["cell", "layer_index"])["layer"]
    for ax, variant in zip(axes[0], VARIANT_TITLES):
        grid = np.full((depth, len(cells)), np.nan)
        for j, c in enumerate(cells):
            for i in range(depth):
                key = (variant, i + 1, c)
                if key in means.index:
                    grid[i, j] = means[key]
        image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdBu_r", vmin=lo, vmax=hi, aspect="auto")
        ax.set_facecolor("0.85")
        for i in range(depth):
            for j, c in enumerate(cells):
                if not math.isnan(grid[i, j]):
                    dark = abs(grid[i, j]) > 0.6 * hi
                    ax.text(j, i, f"{grid[i, j]:.2f}\n{layer_names[(c, i + 1)]}", ha="center", va="center",
                            fontsize=7, color="white" if dark else "black")
        ax.set_xticks(range(len(cells)), [titles.get(c, f"setting {c}") for c in cells], rotation=30,
                      ha="right", fontsize=8)
        ax.set_yticks(range(depth), [f"layer {i + 1}" for i in range(depth)], fontsize=8)
        ax.set_title(VARIANT_TITLES[variant], fontsize=9)
        fig.colorbar(image, ax=ax, label="test error barrier (%)", shrink=0.9)
    fig.suptitle(_wrap(title, 100), fontsize=10)
    fig.tight_layout()
    return fig


ANCHOR_STYLE = {"init": dict(marker="*", s=160, label="Θ₀ (init)"), "a": dict(marker="o", s=70, label="A"),
                "b": dict(marker="s", s=70, label="B")}


def plane_figure(panels: Sequence[tuple[str, pd.DataFrame, Mapping[str, Sequence[float]]]],
                 title: str) -> plt.Figure:
    """One panel per (setting, pair): filled contours of the test error (%) on the plane,
    Θ₀, A and B marked and the straight A–B segment (the linear path) drawn. One colour
    scale for all panels, capped at the 90th percentile of all grid errors and with levels
    spaced quadratically from the lowest error, so the region around the networks keeps its
    detail (darker = higher error; beyond the cap: darkest).
    The two axes have their own scales: A and B are usually much closer to each other than
    to Θ₀, and an equal aspect would flatten the plane to a line."""
    ncol = min(len(panels), 4)
    nrow = math.ceil(len(panels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.9 * ncol, 3.5 * nrow + 0.8), squeeze=False)
    errors = np.concatenate([f[f["split"] == "test"]["error"].to_numpy() * 100 for _, f, _ in panels])
    lo, hi = float(errors.min()), float(np.percentile(errors, 90))
    hi = hi if hi > lo else lo + 1
    # levels denser towards the lowest error, so the basin around A and B (and a barrier
    # of a few % between them) is resolved, not one band
    levels = lo + (hi - lo) * np.linspace(0, 1, 16) ** 2
    contour = None
    for ax, (name, frame, anchors) in zip(axes.flat, panels):
        test = frame[frame["split"] == "test"].pivot(index="y", columns="x", values="error") * 100
        contour = ax.contourf(test.columns, test.index, test.to_numpy(), levels=levels, cmap="viridis_r",
                              extend="max")
        ax.contour(test.columns, test.index, test.to_numpy(), levels=levels[::2], colors="white",
                   linewidths=0.4, alpha=0.6)
        (xa, ya), (xb, yb) = anchors["a"], anchors["b"]
        ax.plot([xa, xb], [ya, yb], color="white", linestyle="--", linewidth=1.6, label="A–B (linear path)",
                path_effects=[path_effects.Stroke(linewidth=3, foreground="black"), path_effects.Normal()])
        for key, style in ANCHOR_STYLE.items():
            x, y = anchors[key]
            ax.scatter([x], [y], color="black" if key == "init" else "white", edgecolors="black", zorder=5,
                       **style)
            ax.annotate(style["label"].split(" ")[0], (x, y), textcoords="offset points", xytext=(6, 6),
                        fontsize=9, color="black", fontweight="bold",
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("along A − Θ₀ (weight-space distance)", fontsize=8)
        ax.set_ylabel("orthogonal, towards B", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.suptitle(_wrap(title, int(fig.get_figwidth() * 14)), fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 0.92, 1))
    cax = fig.add_axes((0.935, 0.15, 0.015, 0.7))
    bar = fig.colorbar(contour, cax=cax, label="test error (%)")
    bar.set_ticks(levels[::3])
    bar.ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.1f"))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    return fig
