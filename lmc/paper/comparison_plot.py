"""The paper-comparison figure: this project's value against the paper's for every
compared cell that was run, on log axes with y = x.

Left: error barriers (%) with the paper's 2 % LMC threshold on both axes (the shaded
quadrants are where the verdict is "agree"). Right: test accuracies (%). Barriers of
0.00 are printed by the paper and measured here; a log axis cannot show 0, so values
below the printed precision (0.01) are drawn on a floor line at 0.01 and marked as
such. Diverged cells (`*`) sit on a separate "*" line beyond the data, on the axis of
the side that diverged. Parameter counts are in the table only (another unit)."""
from __future__ import annotations

import math
import textwrap

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from lmc.config.artefacts import title  # noqa: E402
from lmc.paper.comparison import ACCURACY_TOLERANCE, NOT_RUN, NOT_TRAINED  # noqa: E402

FLOOR = 0.01          # the paper's printed precision for barriers (two decimals, in %)
# colour by the paper's artefact whose cell it is
ARTEFACT_COLORS = {"table1": "tab:blue", "table2": "tab:orange", "table4": "tab:green"}
SPLIT_MARKERS = {"test": "o", "train": "^"}


def _positions(frame: pd.DataFrame, floor: float | None) -> tuple[pd.Series, pd.Series, float, float]:
    """x (paper) and y (project) of each row, floored; `*` rows at the star position
    beyond the data. Returns x, y, the star position and the axes' lower end."""
    finite = pd.concat([frame["paper_value"], frame["mean"]]).dropna()
    top = float(finite.max()) if len(finite) else 1.0
    bottom = float(finite.min()) if len(finite) else top / 10
    if floor is not None:      # barriers: decades from the floor up, the `*` lines well beyond
        lo, star = floor / 1.6, max(top, 10 * floor) * 4
    else:                      # accuracies: just the data's range (often a few points wide)
        lo, star = max(bottom, 1e-3) / 1.05, min(top * 1.08, 104.0)
    x = frame["paper_value"].where(frame["relation"] != "*", star)
    y = frame["mean"].where(~frame["diverged"].astype(bool), star)
    if floor is not None:
        x, y = x.clip(lower=floor), y.clip(lower=floor)
    return x, y, star, lo


def _points(ax: plt.Axes, frame: pd.DataFrame, x: pd.Series, y: pd.Series, floor: float | None,
            lo: float) -> None:
    """Each cell: a point coloured by its artefact, shaped by its split, with its spread over
    pairs; hollow where floored, a grey cross where the pairs did not train."""
    for i in frame.index:
        r = frame.loc[i]
        color = ARTEFACT_COLORS.get(r["source_artefact"], "tab:purple")
        marker = SPLIT_MARKERS.get(r["split"], "s")
        floored = floor is not None and ((not math.isnan(r["mean"]) and r["mean"] < floor)
                                         or (r["relation"] != "*" and r["paper_value"] < floor))
        if not r["diverged"] and not math.isnan(r["std"]):
            low = max(r["mean"] - r["std"], floor or lo)
            high = r["mean"] + r["std"]
            ax.plot([x[i], x[i]], [low, high], color=color, linewidth=0.8, alpha=0.6)
        if r["verdict"] == NOT_TRAINED:    # its barrier means nothing: a grey cross, not a point
            ax.scatter([x[i]], [y[i]], marker="x", s=30, color="grey", zorder=3)
            continue
        ax.scatter([x[i]], [y[i]], marker=marker, s=28, color="white" if floored else color,
                   edgecolors=color, linewidths=1.2, zorder=3)


def _panel(ax: plt.Axes, frame: pd.DataFrame, floor: float | None, threshold: float | None,
           unit: str, tolerance: float | None = None) -> None:
    """One log-log panel; `floor` (barriers) lifts zeros onto a marked line, `threshold`
    draws the LMC threshold and shades the quadrants where the verdict is "agree",
    `tolerance` (accuracies) shades the band where it is."""
    if not len(frame):
        ax.text(0.5, 0.5, "no cell of this kind run", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    x, y, star, lo = _positions(frame, floor)
    diverged_here, diverged_paper = frame["diverged"].astype(bool).any(), (frame["relation"] == "*").any()
    margin = 1.8 if floor is not None else 1.04
    hi = star * margin if diverged_here or diverged_paper else star
    edge = star / margin if diverged_here or diverged_paper else hi
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    if hi / lo < 20:           # a narrow range: plain ticks, a log axis would label none
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(matplotlib.ticker.MaxNLocator(6))
            axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.plot([lo, edge], [lo, edge], color="grey", linewidth=1, label="y = x")
    if threshold is not None:
        ax.fill_between([lo, threshold], lo, threshold, color="tab:green", alpha=0.06, linewidth=0)
        ax.fill_between([threshold, edge], threshold, edge, color="tab:green", alpha=0.06, linewidth=0)
        ax.axvline(threshold, color="tab:red", linestyle="--", linewidth=1)
        ax.axhline(threshold, color="tab:red", linestyle="--", linewidth=1)
        ax.text(edge, threshold * 1.08, f"LMC threshold {threshold:g} %", color="tab:red", fontsize=7,
                ha="right", va="bottom")
    if tolerance is not None:  # where an accuracy "agrees": within ± tolerance points
        xs = [lo * (edge / lo) ** (k / 50) for k in range(51)]
        ax.fill_between(xs, [v - tolerance for v in xs], [v + tolerance for v in xs], color="tab:green",
                        alpha=0.1, linewidth=0, label=f"±{tolerance:g} points")
    if floor is not None:
        ax.axhline(floor, color="black", linestyle=":", linewidth=0.8)
        ax.axvline(floor, color="black", linestyle=":", linewidth=0.8)
        ax.text(edge, floor / 1.08, f"floor {floor:g}: 0.00 printed, or below {floor:g} here", fontsize=7,
                ha="right", va="top")
    if diverged_here:
        ax.axhline(star, color="tab:red", linewidth=0.6, alpha=0.5)
        ax.text(lo * 1.15, star * 1.1, "* diverged here", color="tab:red", fontsize=7, va="bottom")
    if diverged_paper:
        ax.axvline(star, color="tab:red", linewidth=0.6, alpha=0.5)
        ax.text(star * 1.1, math.sqrt(lo * hi), "* diverged in paper", color="tab:red", fontsize=7,
                rotation=90, va="center")
    _points(ax, frame, x, y, floor, lo)
    ax.set_xlabel(f"paper ({unit}, log)")
    ax.set_ylabel(f"this project, mean over pairs ({unit}, log)")
    ax.grid(alpha=0.25, which="both", linewidth=0.4)


def figure(frame: pd.DataFrame, threshold: float, caption: str) -> plt.Figure:
    """The two panels from the comparison rows (`lmc.paper.comparison.compare`)."""
    run = frame[(frame["verdict"] != NOT_RUN) & (frame["relation"].isin(["=", "*"]))].copy()
    run["source_artefact"] = run["id"].str.split("/").str[0]
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.4))
    _panel(axes[0], run[run["metric"] == "error_barrier"], FLOOR, threshold, "%")
    axes[0].set_title(f"error barrier (Eq. 1; shaded: same side of {threshold:g} %)", fontsize=10)
    _panel(axes[1], run[run["metric"] == "test_accuracy"], None, None, "%", ACCURACY_TOLERANCE)
    axes[1].set_title(f"test accuracy (shaded: within ±{ACCURACY_TOLERANCE:g} points)", fontsize=10)
    arts = [a for a in ARTEFACT_COLORS if a in set(run["source_artefact"])]
    handles = [Line2D([], [], color=ARTEFACT_COLORS[a], marker="s", linestyle="", label=f"paper {title(a)}")
               for a in arts]
    handles += [Line2D([], [], color="black", marker=m, markerfacecolor="black", linestyle="", label=s)
                for s, m in SPLIT_MARKERS.items()]
    handles += [Line2D([], [], color="black", marker="o", markerfacecolor="white", linestyle="",
                       label=f"drawn at the {FLOOR:g} floor"),
                Line2D([], [], color="grey", marker="x", linestyle="", label="not trained here"),
                Line2D([], [], color="grey", label="y = x"),
                Line2D([], [], color="tab:red", linestyle="--", label=f"{threshold:g} % LMC threshold")]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 8), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("\n".join(textwrap.wrap(caption, 120)), fontsize=9)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig
