"""Paper figures (PNG for the README/report, PDF for papers, same name)."""
from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .io import _atomic  # noqa: E402

SPLIT_STYLE = {"train": dict(color="tab:blue", marker="o"), "test": dict(color="tab:orange", marker="s")}


def save(fig: plt.Figure, png: str | os.PathLike, pdf: str | os.PathLike) -> None:
    # Fixed metadata so the same numbers give the same PDF bytes.
    _atomic(png, lambda tmp: fig.savefig(tmp, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None}))
    _atomic(pdf, lambda tmp: fig.savefig(tmp, format="pdf", bbox_inches="tight",
                                          metadata={"Creator": None, "Producer": None, "CreationDate": None}))
    plt.close(fig)


def path_figure(paths: pd.DataFrame, title: str) -> plt.Figure:
    """Error (%) along the linear path for every setting of an artefact: one panel per
    setting, train and test, mean over pairs with a min-max band."""
    cells = list(dict.fromkeys(paths["cell"]))
    ncol = min(len(cells), 5)
    nrow = math.ceil(len(cells) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.9 * nrow), sharey=True, squeeze=False)
    for ax, cell in zip(axes.flat, cells):
        sub = paths[paths["cell"] == cell]
        for split, style in SPLIT_STYLE.items():
            curve = sub[sub["split"] == split].groupby("alpha")["error"]
            mean, lo, hi = curve.mean() * 100, curve.min() * 100, curve.max() * 100
            ax.plot(mean.index, mean.values, label=split, markersize=3, **style)
            ax.fill_between(mean.index, lo.values, hi.values, color=style["color"], alpha=0.2, linewidth=0)
        pairs = sub["pair"].nunique()
        ax.set_title(f"{sub['label'].iloc[0] or f'setting {cell}'}\n({pairs} pair{'s' if pairs != 1 else ''})", fontsize=9)
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
