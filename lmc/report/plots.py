"""Paper figures (PNG for the README/report, PDF for papers, same name)."""
from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Callable, Iterable, Mapping

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from lmc.report import dynamics_plots  # noqa: E402
from lmc.report.names import MODEL_TITLES, lr_title, opt_lr, setup_name  # noqa: E402
from lmc.report.summary import cells as setting_groups  # noqa: E402
from lmc.report.summary import endpoint_accuracies, is_diverged, summarise  # noqa: E402
from lmc.util.io import atomic_write  # noqa: E402

SPLIT_STYLE = {"train": dict(color="tab:blue", marker="o"), "test": dict(color="tab:orange", marker="s")}


def save(fig: plt.Figure, png: str | os.PathLike, pdf: str | os.PathLike) -> None:
    # Fixed metadata so the same numbers give the same PDF bytes.
    atomic_write(png, lambda tmp: fig.savefig(tmp, format="png", dpi=150, bbox_inches="tight",
                                              metadata={"Software": None}))
    atomic_write(pdf, lambda tmp: fig.savefig(tmp, format="pdf", bbox_inches="tight",
                                          metadata={"Creator": None, "Producer": None, "CreationDate": None}))
    plt.close(fig)


def path_figure(paths: pd.DataFrame, title: str, titles: Mapping[int, str] | None = None) -> plt.Figure:
    """Error (%) along the linear path for every setting of an artefact: one panel per
    setting (named by `titles`, cell -> name, else the config label), train and test,
    mean over pairs with a min-max band; where the artefact aligns (a `path` column with
    aligned rows), the aligned path dashed beside the naive one."""
    cells = list(dict.fromkeys(paths["cell"]))
    ncol = min(len(cells), 5)
    nrow = math.ceil(len(cells) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.9 * nrow), sharey=True, squeeze=False)
    for ax, cell in zip(axes.flat, cells):
        sub = paths[paths["cell"] == cell]
        kinds = sub["path"] if "path" in sub else pd.Series("naive", index=sub.index)
        for kind, dash in (("naive", "-"), ("aligned", "--")):
            for split, style in SPLIT_STYLE.items():
                curve = sub[(sub["split"] == split) & (kinds == kind)].groupby("alpha")["error"]
                if not len(curve):
                    continue
                mean, lo, hi = curve.mean() * 100, curve.min() * 100, curve.max() * 100
                ax.plot(mean.index, mean.values, label=split if kind == "naive" else f"{split}, aligned",
                        markersize=3, linestyle=dash, markerfacecolor="none" if kind == "aligned" else None,
                        **style)
                ax.fill_between(mean.index, lo.values, hi.values, color=style["color"],
                                alpha=0.2 if kind == "naive" else 0.1, linewidth=0)
        pairs = sub["pair"].nunique()
        label = sub["label"].iloc[0]
        name = ((titles or {}).get(int(cell))
                or (label if isinstance(label, str) and label else f"setting {cell}"))
        ax.set_title(f"{name}\n({pairs} pair{'s' if pairs != 1 else ''})", fontsize=9)
        ax.set_xlabel("α (0 = A, 1 = B)")
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("error (%)")
    for ax in list(axes.flat)[len(cells):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8, title="split", title_fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# --- The paper's figures, from an artefact's aggregated barriers ----------------------------
#
# Each takes the aggregated CSV of its artefact (one row per setting x pair) and plots
# mean ± std over pairs (error bars), in %. Settings where a pair diverged are not
# plotted as numbers: a red "*" marks their place, as the tables do.

SPLITS = ("train", "test")
DIVERGED_STYLE = dict(color="tab:red", fontsize=11, ha="center", va="bottom", fontweight="bold")


def _summary(agg: pd.DataFrame, column: str | Callable[[pd.DataFrame], Iterable[float]],
             keys: list[str]) -> pd.DataFrame:
    """Mean, std (in %, `lmc.report.summary`: NaN for one pair, drawn as no error bar) and
    divergence of `column` (or of `column(pairs)`) per setting, with the setting's `keys`."""
    rows = []
    for cell, g in setting_groups(agg):
        s = summarise(column(g) if callable(column) else g[column])
        first = g.iloc[0]
        rows.append({"cell": cell, **{k: first[k] for k in keys}, "mean": s.mean, "std": s.std,
                     "diverged": is_diverged(g)})
    return pd.DataFrame(rows)


def _wrap(text: str, width: int = 110) -> str:
    return "\n".join(textwrap.wrap(text, width))


def figure1(agg: pd.DataFrame, title: str) -> plt.Figure:
    """Figure 1: error barrier (%) against the Leaky-ReLU slope p, one line per depth;
    train and test panels (one row of panels per SGD learning rate)."""
    agg = agg.copy()
    agg["opt_lr"] = [opt_lr(r) for _, r in agg.iterrows()]
    groups = list(dict.fromkeys(agg.sort_values("cell")["opt_lr"]))
    fig, axes = plt.subplots(len(groups), 2, figsize=(10, 3.6 * len(groups)), squeeze=False, sharex=True)
    depths = sorted(set(int(d) for d in agg["depth"]))
    colors = {d: plt.cm.viridis(i / max(1, len(depths) - 1) * 0.85) for i, d in enumerate(depths)}
    for r, group in enumerate(groups):
        sub = agg[agg["opt_lr"] == group]
        for c, split in enumerate(SPLITS):
            ax = axes[r, c]
            s = _summary(sub, f"{split}_error_barrier", ["depth", "slope"])
            for d in depths:
                line = s[(s["depth"] == d) & ~s["diverged"]].sort_values("slope")
                ax.errorbar(line["slope"], line["mean"], yerr=line["std"], color=colors[d], marker="o",
                            markersize=4,
                            capsize=2, linewidth=1.3, label=f"{d}-Layer")
                for _, dv in s[(s["depth"] == d) & s["diverged"]].iterrows():
                    # at the top of the panel, in the depth's colour: where the line would leave the plot
                    ax.annotate("*", (dv["slope"], 1), xycoords=("data", "axes fraction"),
                                **{**DIVERGED_STYLE, "color": colors[d], "va": "top", "fontsize": 14})
            ax.set_title(f"{split} — {group}", fontsize=10)
            ax.set_ylabel("error barrier (%)")
            ax.grid(alpha=0.3)
            ax.set_ylim(bottom=min(0, ax.get_ylim()[0]))
            if r == len(groups) - 1:
                ax.set_xlabel("Leaky-ReLU negative slope p (0 = ReLU, 1 = linear)")
    fig.suptitle(_wrap(title), fontsize=10)
    _legend_below(fig, axes[0, 0], "depth", agg, "a pair diverged (top of the panel, in the depth's colour)",
                  "black")
    return fig


def _legend_below(fig: plt.Figure, ax: plt.Axes, title: str, agg: pd.DataFrame,
                  diverged: str = "a pair diverged", diverged_color: str = "tab:red") -> None:
    """One legend for the whole figure, under the panels (never over the data); it also
    explains the red `*` when a setting diverged."""
    handles, labels = ax.get_legend_handles_labels()
    if agg["diverged"].astype(bool).any():
        handles.append(Line2D([], [], color=diverged_color, marker="$*$", linestyle="none", markersize=9))
        labels.append(diverged)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, title=title,
               title_fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 0.0))


def _bars(ax: plt.Axes, s: pd.DataFrame, group_col: str, bar_col: str, group_labels: dict, bar_labels: dict,
          colors: dict) -> None:
    """Grouped bars with std error bars; `*` in place of a diverged setting's bar."""
    groups = list(dict.fromkeys(s[group_col]))
    bars = list(dict.fromkeys(s[bar_col]))
    width = 0.8 / max(1, len(bars))
    for j, b in enumerate(bars):
        xs, ms, ss = [], [], []
        for i, g in enumerate(groups):
            row = s[(s[group_col] == g) & (s[bar_col] == b)]
            if not len(row):
                continue
            x = i - 0.4 + width * (j + 0.5)
            if bool(row["diverged"].iloc[0]):
                ax.annotate("*", (x, 0), xycoords=("data", "axes fraction"), **DIVERGED_STYLE)
                continue
            xs.append(x)
            ms.append(row["mean"].iloc[0])
            ss.append(row["std"].iloc[0])
        ax.bar(xs, ms, width * 0.95, yerr=ss, capsize=2, color=colors[b], label=bar_labels[b],
               error_kw={"linewidth": 0.8})
    ax.set_xticks(range(len(groups)), [group_labels[g] for g in groups], fontsize=8)
    ax.set_xlim(-0.5, len(groups) - 0.5)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.grid(axis="y", alpha=0.3)


def figure2(agg: pd.DataFrame, title: str) -> plt.Figure:
    """Figure 2: error barrier (%) per hidden-layer type, grouped by SGD learning rate;
    train and test panels."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.9), sharey=True, squeeze=False)
    models = list(dict.fromkeys(agg.sort_values("cell")["model"]))
    palette = dict(zip(["mlp", "lcn", "cnn", "vit", "linear"],
                       ["tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:gray"]))
    colors = {m: palette.get(m, "tab:gray") for m in models}
    for ax, split in zip(axes[0], SPLITS):
        s = _summary(agg, f"{split}_error_barrier", ["model", "optimizer", "lr"])
        s["group"] = [(o, float(lr)) for o, lr in zip(s["optimizer"], s["lr"])]
        _bars(ax, s, "group", "model", {g: lr_title(*g) for g in s["group"]},
              {m: MODEL_TITLES.get(m, m) for m in models},
              colors)
        ax.set_title(split, fontsize=10)
        ax.set_xlabel("SGD learning rate")
    axes[0, 0].set_ylabel("error barrier (%)")
    fig.suptitle(_wrap(title), fontsize=10)
    _legend_below(fig, axes[0, 0], "hidden layer", agg)
    return fig


def _normalised_figure(agg: pd.DataFrame, title: str) -> plt.Figure:
    """Normalised barrier (%) per dataset: one column of panels per dataset, train and
    test rows; bars per depth, one colour per learning rate."""
    datasets = list(dict.fromkeys(agg.sort_values("cell")["dataset"]))
    dtitle = dict(zip(agg["dataset"], agg["dataset_title"]))
    ordered = agg.sort_values("cell")
    lrs = list(dict.fromkeys((o, float(lr)) for o, lr in zip(ordered["optimizer"], ordered["lr"])))
    palette = ["tab:red", "tab:blue", "tab:green", "tab:purple"]
    colors = {k: palette[i % len(palette)] for i, k in enumerate(lrs)}
    n = len(datasets)
    fig, axes = plt.subplots(2, n, figsize=(max(6.0, 3.6 * n), 6.2), sharey="row", squeeze=False)
    for c, ds in enumerate(datasets):
        for r, split in enumerate(SPLITS):
            ax = axes[r, c]
            s = _summary(agg[agg["dataset"] == ds], f"{split}_normalised_barrier",
                         ["depth", "optimizer", "lr"])
            s["depth"] = s["depth"].astype(int)
            s["opt_lr"] = [(o, float(lr)) for o, lr in zip(s["optimizer"], s["lr"])]
            _bars(ax, s, "depth", "opt_lr", {d: f"{d}-Layer" for d in s["depth"]},
                  {k: f"{k[0].upper()} {lr_title(*k)}" for k in lrs}, colors)
            ax.set_title(f"{dtitle[ds]} — {split}", fontsize=10)
            if c == 0:
                ax.set_ylabel("normalised barrier (%)")
    fig.suptitle(_wrap(title, int(fig.get_figwidth() * 15)), fontsize=10)
    _legend_below(fig, axes[0, 0], "learning rate", agg)
    return fig


def figure3(agg: pd.DataFrame, title: str) -> plt.Figure:
    """Figure 3: normalised barrier (Eq. 2) per dataset, depth and SGD learning rate."""
    return _normalised_figure(agg, title)


def figure5(agg: pd.DataFrame, title: str) -> plt.Figure:
    """Figure 5: normalised barrier (Eq. 2) of Adam MLPs per dataset, depth and learning rate."""
    return _normalised_figure(agg, title)


def initialisation(agg: pd.DataFrame, title: str) -> plt.Figure:
    """Beyond the paper: test error barrier (%) against the initial-weight scale, one panel
    per optimisation setup, one line per init scheme with a ±std band over pairs; below,
    the endpoints' test accuracy (a barrier is only meaningful where both endpoints train)."""
    agg = agg.copy()
    agg["setup"] = agg["cell"].map({c: setup_name(g) for c, g in setting_groups(agg)})
    setups = list(dict.fromkeys(agg.sort_values("cell")["setup"]))
    schemes = list(dict.fromkeys(agg.sort_values("cell")["init"]))
    colors = {s: plt.cm.tab10(i % 10) for i, s in enumerate(schemes)}
    fig, axes = plt.subplots(2, len(setups), figsize=(4.2 * len(setups), 6.4), squeeze=False, sharex=True,
                             sharey="row")
    for c, setup in enumerate(setups):
        sub = agg[agg["setup"] == setup]
        # the endpoints' accuracy pools A and B of every pair, as the tables do
        for r, (column, label) in enumerate((("test_error_barrier", "test error barrier (%)"),
                                             (endpoint_accuracies, "endpoint test accuracy (%)"))):
            ax = axes[r, c]
            s = _summary(sub, column, ["init", "init_scale"])
            for scheme in schemes:
                line = s[(s["init"] == scheme) & ~s["diverged"]].sort_values("init_scale")
                # error bars as well as the band: a grid with one scale has no band to draw
                ax.errorbar(line["init_scale"], line["mean"], yerr=line["std"], marker="o", markersize=4,
                            capsize=3, color=colors[scheme], label=scheme)
                ax.fill_between(line["init_scale"], line["mean"] - line["std"], line["mean"] + line["std"],
                                color=colors[scheme], alpha=0.2, linewidth=0)
                for _, dv in s[(s["init"] == scheme) & s["diverged"]].iterrows():
                    ax.annotate("*", (dv["init_scale"], 1), xycoords=("data", "axes fraction"),
                                **{**DIVERGED_STYLE, "color": colors[scheme], "va": "top", "fontsize": 14})
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"×{v:g}"))
            ax.grid(alpha=0.3)
            if r == 0:
                ax.set_title(setup, fontsize=10)
            else:
                ax.set_xlabel("scale on the initial weights")
            if c == 0:
                ax.set_ylabel(label)
    axes[0, 0].set_ylim(bottom=min(0, axes[0, 0].get_ylim()[0]))     # the row shares it; after all data
    fig.suptitle(_wrap(title, int(fig.get_figwidth() * 15)), fontsize=10)
    _legend_below(fig, axes[0, 0], "init scheme", agg)
    return fig


FIGURES = {"figure1": figure1, "figure2": figure2, "figure3": figure3, "figure5": figure5,
           "initialisation": initialisation,
           "instability": dynamics_plots.instability, "barrier_over_time": dynamics_plots.barrier_over_time}
