"""Figures of the training-dynamics artefacts (lmc.report.dynamics_tables): barrier against the spawn
point k (instability) and against the epoch t (barrier over time), one line per setup
with a ±std band over pairs."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from lmc.report.names import setup_name  # noqa: E402
from lmc.report.summary import cells, endpoint_accuracies, is_diverged, summarise  # noqa: E402

PANELS = (
    ("test_error_barrier", "test error barrier (%)"),
    ("train_error_barrier", "train error barrier (%)"),
    (endpoint_accuracies, "endpoint test accuracy (%)"),
)


def _lines(agg: pd.DataFrame, x: str, title: str, xlabel: str, symlog: bool) -> plt.Figure:
    fig, axes = plt.subplots(1, len(PANELS), figsize=(4.6 * len(PANELS), 4.0), squeeze=False)
    groups = cells(agg)
    colors = {c: plt.cm.tab10(i % 10) for i, (c, _) in enumerate(groups)}
    for ax, (column, label) in zip(axes[0], PANELS):
        for c, g in groups:
            rows = []
            for value, gx in g.groupby(x, sort=True):
                s = summarise(column(gx) if callable(column) else gx[column])
                rows.append((float(value), s.mean, 0.0 if s.std != s.std else s.std, is_diverged(gx)))
            line = pd.DataFrame(rows, columns=["x", "mean", "std", "diverged"])
            ok = line[~line["diverged"]]
            ax.plot(ok["x"], ok["mean"], marker="o", markersize=4, color=colors[c], label=setup_name(g))
            ax.fill_between(ok["x"], ok["mean"] - ok["std"], ok["mean"] + ok["std"], color=colors[c],
                            alpha=0.18, linewidth=0)
            for _, d in line[line["diverged"]].iterrows():
                ax.annotate("*", (d["x"], 1), xycoords=("data", "axes fraction"), color=colors[c],
                            ha="center", va="top", fontsize=14, fontweight="bold")
        ticks = sorted(agg[x].unique())
        if symlog:
            positive = sorted(v for v in agg[x].unique() if v > 0)
            ax.set_xscale("symlog", linthresh=positive[0] if positive else 1.0, linscale=0.5)
            ax.minorticks_off()
        elif ticks[0] > 0 and ticks[-1] / ticks[0] > 20:  # e.g. epochs 1 ... 200: log axis
            ax.set_xscale("log")
            ax.minorticks_off()
        if len(ticks) <= 12:
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks], fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if not callable(column):
            ax.set_ylim(bottom=min(0, ax.get_ylim()[0]))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle("\n".join(textwrap.wrap(title, 150)), fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False,
               title="setup (band: ± std over pairs; *: a pair diverged)", title_fontsize=8,
               bbox_to_anchor=(0.5, 0.0))
    return fig


def instability(agg: pd.DataFrame, title: str) -> plt.Figure:
    """Error barrier (test, train) and endpoint test accuracy against the spawn point k
    (symmetric-log axis, so k = 0 is on it)."""
    unit = str(agg["spawn_unit"].iloc[0])
    return _lines(
        agg, "spawn_point", title, f"spawn point k ({unit}, symlog axis; k = 0: the pair itself)", True
    )


def barrier_over_time(agg: pd.DataFrame, title: str) -> plt.Figure:
    """Error barrier (test, train) of the snapshots (A_t, B_t) and their test accuracy
    against the epoch t."""
    return _lines(agg, "epoch", title, "epoch t", False)
