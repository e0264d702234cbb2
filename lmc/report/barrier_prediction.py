"""The barrier_prediction target (beyond the paper): the per-pair and per-layer CSVs read from
every pair's derivatives record and path, the agreement table and the scatter figure; the
quantities and predictors are lmc.analyses.barrier_prediction's."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lmc.aggregate import result_files
from lmc.analyses.barrier_prediction import (
    LMC_THRESHOLD,
    RECORD_KEYS,
    agreement,
    measured,
    record_row,
)
from lmc.config.artefacts import title as artefact_title
from lmc.report import plots
from lmc.report.layout import Table
from lmc.report.render import write_table
from lmc.util import io


def tables(cells: Sequence[Mapping[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per pair (whole path) and per pair and layer: what was measured and what was
    predicted. `cells`: artefact, label, run_id, pair, derivatives_json, path_csv."""
    pairs, layers = [], []
    for c in cells:
        rec = result_files.read_json(c["derivatives_json"], RECORD_KEYS)
        keys = {"artefact": c["artefact"], "label": c["label"], "run_id": c["run_id"], "pair": int(c["pair"])}
        row = record_row(rec)
        # the loss barrier on the derivatives' own samples (what the predictors estimate); the
        # path's error barrier (the LMC verdict) and 11-point loss barrier on the whole split
        pairs.append({**keys, "loss_barrier_mid": row.pop("loss_barrier_mid"),
                      **measured(result_files.read_path(c["path_csv"])), **row})
        reference = (rec["loss"][0] + rec["loss"][2]) / 2
        for index, layer in enumerate(rec["layers"], start=1):
            taylor = layer["loss_at_a"] + layer["slope_at_a"] / 2 + layer["curvature_at_a"] / 8
            layers.append({**keys, "layer_index": index, "layer": layer["layer"],
                           "loss_barrier_mid": layer["loss_at_mid"] - reference,
                           "predicted_taylor": taylor - reference})
    return pd.DataFrame(pairs), pd.DataFrame(layers)


def _fmt(v: Any, spec: str) -> str:
    return "–" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, spec)


def prediction_table(summary: pd.DataFrame, pairs: pd.DataFrame) -> Table:
    header = ["path", "predictor", "pairs", "Spearman ρ", "median |error|", "verdicts right",
              "measured loss barrier's", "majority verdict's"]
    rows = [[r["path"], r["predictor"], str(r["pairs"]), _fmt(r["spearman"], ".2f"),
             _fmt(r["median_abs_error"], ".3g"), _fmt(r.get("verdicts_right"), ".0%"),
             _fmt(r.get("verdicts_right_measured"), ".0%"), _fmt(r.get("verdicts_right_majority"), ".0%")]
            for r in summary.to_dict("records")]
    arts = ", ".join(artefact_title(a) for a in dict.fromkeys(pairs["artefact"]))
    samples = ", ".join(f"{int(n):,}" for n in sorted(set(pairs["samples"])))
    caption = ("Barrier prediction (beyond the paper): the midpoint loss barrier ℓ(½) − ½(ℓ(0)+ℓ(1)) on the "
               f"train split ({samples} samples) predicted from derivatives along the path, against the "
               f"measured one, over {len(pairs)} pairs of {arts}.")
    tau = float(summary["tau"].dropna().iloc[0])
    notes = ["quintic: 5(ℓ′(0) − ℓ′(1))/32 + (ℓ″(0) + ℓ″(1))/64 and cubic: (ℓ′(0) − ℓ′(1))/8 use "
             "the endpoints only; midpoint: −ℓ″(½)/8 (a reference, not an endpoint quantity); taylor "
             "(each layer): ℓ(0) + ½ℓ_l′(0) + ⅛ℓ_l″(0) − ½(ℓ(0)+ℓ(1)), from A alone.",
             f"Verdicts: LMC when the train error barrier is below {LMC_THRESHOLD:g} %; the predictor "
             f"says LMC when its loss barrier is below τ = {tau:.3g}, the threshold at which the "
             "measured loss barrier agrees best with the error verdict (its share is the ceiling; the "
             "majority verdict's share is the floor)."]
    return Table("Barrier prediction", caption, header, rows, summary, notes)


def prediction_figure(pairs: pd.DataFrame, layers: pd.DataFrame, summary: pd.DataFrame):
    """Predicted against measured midpoint loss barrier: every pair (left, colours by
    artefact), every pair's layers (right, markers by layer index); symlog axes (barriers
    span decades and can be < 0); the scores in the empty lower-right corner."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), constrained_layout=True)
    colours = dict(zip(dict.fromkeys(pairs["artefact"]), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    markers = "o^sDvP*X"
    panels = [(axes[0], pairs, "predicted_quintic", "quintic prediction from the endpoints",
               summary[summary["predictor"] == "quintic"].iloc[0]),
              (axes[1], layers, "predicted_taylor", "Taylor prediction from A along layer l",
               summary[summary["predictor"] == "taylor"].iloc[0] if len(layers) else None)]
    for ax, frame, column, ylabel, stats in panels:
        if not len(frame):
            ax.set_axis_off()
            continue
        groups = ["artefact"] + (["layer_index"] if "layer_index" in frame else [])
        for key, g in frame.groupby(groups, sort=False):
            art = key[0]
            label = artefact_title(art) + (f", layer {key[1]}" if len(key) > 1 else "")
            ax.scatter(g["loss_barrier_mid"], g[column], s=20, color=colours[art], alpha=0.8, label=label,
                       marker=markers[(int(key[1]) - 1) % len(markers)] if len(key) > 1 else "o")
        lo = min(frame["loss_barrier_mid"].min(), frame[column].min())
        hi = max(frame["loss_barrier_mid"].max(), frame[column].max())
        ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--", label="y = x")
        span = max(abs(lo), abs(hi), 1e-6)
        for set_scale in (ax.set_xscale, ax.set_yscale):
            set_scale("symlog", linthresh=span / 100)
        ax.set_xlabel("measured midpoint loss barrier (train)")
        ax.set_ylabel(ylabel)
        text = f"Spearman ρ = {stats['spearman']:.2f}, {int(stats['pairs'])} points"
        if "verdicts_right" in stats and not np.isnan(stats.get("verdicts_right", np.nan)):
            text += (f"\nLMC verdicts right: {stats['verdicts_right']:.0%}\n(measured loss barrier: "
                     f"{stats['verdicts_right_measured']:.0%}, "
                     f"majority: {stats['verdicts_right_majority']:.0%})")
        ax.text(0.98, 0.02, text, transform=ax.transAxes, va="bottom", ha="right", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
        ax.grid(alpha=0.3)
    axes[0].set_title("whole network: the linear path A → B")
    axes[1].set_title("each layer: A with layer l moved towards B")
    if len(layers):
        axes[1].legend(loc="upper left", fontsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    fig.suptitle("Barrier prediction from derivatives along the path (beyond the paper)", fontsize=10)
    return fig


def render(cells: Sequence[Mapping[str, Any]], outputs: Mapping[str, str]) -> Table:
    """The barrier_prediction target: per-pair CSV, summary table, scatter figure."""
    pairs, layers = tables(cells)
    io.write_csv(pairs, outputs["pairs"])
    io.write_csv(layers, outputs["layers"])
    summary = agreement(pairs, layers)
    table = prediction_table(summary, pairs)
    write_table(table, outputs)
    plots.save(prediction_figure(pairs, layers, summary), outputs["fig_png"], outputs["fig_pdf"])
    return table
