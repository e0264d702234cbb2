"""The geometry_over_training target (beyond the paper): every derivatives record along
training (snapshot epochs, spawn points) as rows, their mean and spread per setting and
point, the table and the 3 x 2 figure; the shapes are lmc.analyses.geometry_over_training's."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lmc.aggregate import result_files
from lmc.analyses.barrier_prediction import RECORD_KEYS, record_row
from lmc.analyses.geometry_over_training import KINDS, SHAPES, shape
from lmc.config.artefacts import title as artefact_title
from lmc.data.datasets import DATASETS
from lmc.report import plots
from lmc.report.layout import Table
from lmc.report.render import write_table
from lmc.util import io

SUMMARY = ("loss_barrier_mid", "predicted_quintic", "curvature_mid", "curvature_ends", "slope_gap",
           "init_angle_deg", "delta_norm")


def rows(cells: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per pair and point. `cells`: kind (snapshots | spawn), label, dataset,
    run_id, pair, x (epoch t, or spawn point k in `unit`), unit, derivatives_json."""
    out = []
    for c in cells:
        row = record_row(result_files.read_json(c["derivatives_json"], RECORD_KEYS))
        out.append({"kind": c["kind"], "label": c["label"], "dataset": c["dataset"], "run_id": c["run_id"],
                    "pair": int(c["pair"]), "x": float(c["x"]), "unit": c["unit"], **row,
                    "curvature_ends": (row["curvature_a"] + row["curvature_b"]) / 2,
                    "slope_gap": row["slope_a"] - row["slope_b"],
                    "shape": shape(row["loss_barrier_mid"], row["curvature_mid"])})
    return pd.DataFrame(out)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over pairs of each quantity, and how many pairs have
    each shape, per kind, setting and point."""
    keys = ["kind", "label", "dataset", "run_id", "unit", "x"]
    grouped = frame.groupby(keys, sort=False)
    out = grouped[list(SUMMARY)].agg(["mean", "std"])
    out.columns = [f"{q}_{stat}" for q, stat in out.columns]
    out["pairs"] = grouped.size()
    for s in SHAPES:
        out[f"pairs_{s}"] = grouped["shape"].apply(lambda v, s=s: int((v == s).sum()))
    return out.reset_index()


def _pm(mean: float, std: float, spec: str) -> str:
    if mean is None or np.isnan(mean):
        return "–"
    return format(mean, spec) + ("" if np.isnan(std) else " ± " + format(std, spec))


def _shapes(r: Mapping[str, Any]) -> str:
    return ", ".join(f"{s} {int(r[f'pairs_{s}'])}" for s in SHAPES if r[f"pairs_{s}"])


def _point(r: Mapping[str, Any]) -> str:
    return f"t = {r['x']:g}" if r["kind"] == "snapshots" else f"k = {r['x']:g} {r['unit']}"


def geometry_table(table: pd.DataFrame, frame: pd.DataFrame) -> Table:
    header = ["artefact", "setting", "point", "loss barrier (measured)", "quintic prediction", "ℓ″(½)",
              "½(ℓ″(0) + ℓ″(1))", "ℓ′(0) − ℓ′(1)", "angle at the start (°)", "shape (pairs)"]
    body = [[artefact_title(KINDS[r["kind"]]), r["label"], _point(r),
             _pm(r["loss_barrier_mid_mean"], r["loss_barrier_mid_std"], ".3g"),
             _pm(r["predicted_quintic_mean"], r["predicted_quintic_std"], ".3g"),
             _pm(r["curvature_mid_mean"], r["curvature_mid_std"], ".3g"),
             _pm(r["curvature_ends_mean"], r["curvature_ends_std"], ".3g"),
             _pm(r["slope_gap_mean"], r["slope_gap_std"], ".3g"),
             _pm(r["init_angle_deg_mean"], r["init_angle_deg_std"], ".1f"), _shapes(r)]
            for r in table.to_dict("records")]
    datasets = ", ".join(DATASETS[d].title for d in dict.fromkeys(frame["dataset"]))
    samples = ", ".join(f"{int(n):,}" for n in sorted(set(frame["samples"])))
    pairs = frame.groupby(["run_id"])["pair"].nunique().max()
    caption = (f"Geometry along training (beyond the paper), {datasets}: the path between A and B at every "
               "snapshot epoch t (A_t, B_t from Θ₀) and spawn point k (A, B spawned from Θ_k, trained to the "
               f"end); train split ({samples} samples), mean ± std over {pairs} pairs.")
    notes = ["Loss barrier: ℓ(½) − ½(ℓ(0) + ℓ(1)) on the same samples; quintic: 5(ℓ′(0) − ℓ′(1))/32 + "
             "(ℓ″(0) + ℓ″(1))/64, from the endpoints alone (lmc.analyses.barrier_prediction).",
             "Angle: between A − Θ and B − Θ, Θ the point both left (Θ₀ for snapshots and k = 0, Θ_k "
             "for a spawn point).",
             "Shape: none (no loss barrier); ridge (−ℓ″(½)/8 is at least half the barrier: a crest "
             "between the endpoints); mountainside (a barrier the midpoint's curvature does not "
             "explain: made by the walls at the ends)."]
    return Table("Geometry along training", caption, header, body, table, notes)


def geometry_figure(frame: pd.DataFrame, table: pd.DataFrame):
    """Three rows against t (left: snapshots) and k (right: spawn points), a line per
    setting (mean over pairs, the pairs as dots): the measured loss barrier and its quintic
    prediction (dashed); the curvature half-way and at the ends (dashed); the angle about
    the start."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    kinds = [k for k in KINDS if (frame["kind"] == k).any()]
    fig, axes = plt.subplots(3, len(kinds), figsize=(5.2 * len(kinds), 8.4), squeeze=False,
                             constrained_layout=True)
    labels = list(dict.fromkeys(frame["label"]))
    colours = dict(zip(labels, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    panels = [("loss_barrier_mid", "predicted_quintic", "midpoint loss barrier\n(dashed: quintic)"),
              ("curvature_mid", "curvature_ends", "curvature along Δ: ℓ″(½)\n(dashed: ½(ℓ″(0) + ℓ″(1)))"),
              ("init_angle_deg", None, "angle between A and B\nabout their start (°)")]
    for j, kind in enumerate(kinds):
        rows_k, table_k = frame[frame["kind"] == kind], table[table["kind"] == kind]
        for i, (solid, dashed, ylabel) in enumerate(panels):
            ax = axes[i][j]
            for label, g in table_k.groupby("label", sort=False):
                ax.plot(g["x"], g[f"{solid}_mean"], marker="o", ms=3, color=colours[label], label=label)
                if dashed:
                    ax.plot(g["x"], g[f"{dashed}_mean"], ls="--", color=colours[label])
                dots = rows_k[rows_k["label"] == label]
                ax.scatter(dots["x"], dots[solid], s=6, color=colours[label], alpha=0.4)
            if i == 1:
                ax.axhline(0, color="black", lw=0.6)
            ax.set_xscale("symlog", linthresh=1.0 if kind == "spawn" else 0.5)
            points = sorted(set(rows_k["x"]))
            ax.set_xticks(points, [f"{v:g}" for v in points])
            ax.xaxis.set_minor_locator(NullLocator())
            ax.grid(alpha=0.3)
            if j == 0:
                ax.set_ylabel(ylabel)
        unit = rows_k["unit"].iloc[0]
        axes[-1][j].set_xlabel("epoch t of A_t and B_t" if kind == "snapshots" else f"spawn point k ({unit})")
        axes[0][j].set_title("along training (snapshots, from Θ₀)" if kind == "snapshots"
                             else "from a spawn point Θ_k (to the end)")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=max(len(names), 1), fontsize=8)
    datasets = ", ".join(DATASETS[d].title for d in dict.fromkeys(frame["dataset"]))
    fig.suptitle(f"Geometry of the path along training (beyond the paper), {datasets}", fontsize=10)
    return fig


def render(cells: Sequence[Mapping[str, Any]], outputs: Mapping[str, str]) -> Table:
    """The geometry_over_training target: the per-pair CSV, the table and the figure."""
    frame = rows(cells)
    io.write_csv(frame, outputs["pairs"])
    table = summary(frame)
    result = geometry_table(table, frame)
    write_table(result, outputs)
    plots.save(geometry_figure(frame, table), outputs["fig_png"], outputs["fig_pdf"])
    return result
