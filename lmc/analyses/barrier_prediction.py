"""Could the barrier have been predicted from the endpoints? (issue 22, part 2)

The `derivatives` analysis (rules/analyses.smk: path_derivatives_<artefact>_<dataset>)
writes per pair, on the train split or its first `analysis.derivatives.samples` samples
(`lmc.analyses.path_derivatives`): ℓ, ℓ′, ℓ″ at α = 0, ½, 1 of the linear path; for each layer l,
ℓ, ℓ′, ℓ″ at α = 0 and the loss at ½ along Δ restricted to that layer (the rest of the
network at A); ‖∇L‖ at A and B, ‖Δ‖, and the geometry of A and B about Θ₀ (distances and
angle). The `barrier_prediction` target reads every such pair and compares:

- the whole path: the predicted midpoint loss barrier (`quintic`, `cubic` from the
  endpoints; `midpoint` from ℓ″(½), a reference) against the measured one,
  ℓ(½) − ½(ℓ(0) + ℓ(1)), and the predictor's LMC verdict against the measured one (train
  error barrier < 2 %);
- each layer: the second-order Taylor estimate from A, ℓ_l(½) ≈ ℓ(0) + ½ℓ_l′(0) + ⅛ℓ_l″(0),
  minus ½(ℓ(0) + ℓ(1)), against the measured layer-wise loss barrier, the same quantity
  with ℓ_l(½) the loss of A with layer l averaged (lmc.analyses.layerwise's "single" network).

A loss barrier has no 2 % threshold of its own. The threshold τ that the predictor's
verdict uses is fitted on the *measured* loss barriers (the τ at which "measured loss
barrier < τ" agrees best with "error barrier < 2 %"), so the predictor is judged on
reproducing the verdict its target quantity would give; that agreement is printed as the
ceiling beside the predictor's."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from lmc.analyses.layerwise import layer_groups
from lmc.analyses.path_derivatives import path_derivatives, predicted_barriers, spawn_geometry
from lmc.data import resident
from lmc.data.sources import info
from lmc.nn import stacked
from lmc.nn.models import build_model

ALPHAS = (0.0, 0.5, 1.0)
LAYER_ALPHAS = (0.0,)              # a layer's derivatives: at A (its Taylor estimate)
LAYER_LOSS_ALPHAS = (0.5,)         # a layer's measured midpoint: A with the layer averaged
LMC_THRESHOLD = 2.0                # % error barrier (the paper's LMC criterion)
FORMS = ("quintic", "cubic", "midpoint")
DERIVATIVES = ("loss", "slope", "curvature")


def pair_records(setting: Mapping[str, Any], init: Sequence[Mapping[str, torch.Tensor]],
                 a: Sequence[Mapping[str, torch.Tensor]], b: Sequence[Mapping[str, torch.Tensor]],
                 split: resident.Split, device: torch.device | str, batch_size: int = 2048
                 ) -> list[dict[str, Any]]:
    """The derivatives record of every pair of one setting, all pairs in one batched pass."""
    meta = info(setting["dataset"])
    model = build_model(setting, meta.shape, meta.classes).to(device)
    sa, sb, s0 = (stacked.stack_states(list(states), device) for states in (a, b, init))
    layers = dict(layer_groups(a[0]))
    normalise = resident.normaliser(setting["dataset"], device)
    d = path_derivatives(model, sa, sb, split.images, split.labels, normalise, ALPHAS, layers=layers,
                         batch_size=batch_size, layer_alphas=LAYER_ALPHAS,
                         layer_loss_alphas=LAYER_LOSS_ALPHAS)
    # the geometry about Θ₀ needs one Θ₀ for both runs (with independent inits, init.pt is A's)
    geometry = spawn_geometry(sa, sb, s0) if setting.get("shared_init", True) else None
    records = []
    for i in range(len(a)):
        record: dict[str, Any] = {"split": "train", "samples": len(split.labels), "alphas": list(ALPHAS)}
        record.update({key: d[key][i].tolist() for key in DERIVATIVES})
        record["layers"] = [{"layer": name, "loss_at_a": float(d["layer_loss"][i, j, 0]),
                             "slope_at_a": float(d["layer_slope"][i, j, 0]),
                             "curvature_at_a": float(d["layer_curvature"][i, j, 0]),
                             "loss_at_mid": float(d["layer_loss_only"][i, j, 0])}
                            for j, name in enumerate(layers)]
        record.update({key: float(d[key][i]) for key in ("grad_norm_a", "grad_norm_b", "delta_norm")})
        record.update({f"init_{key}": None if geometry is None else float(geometry[key][i])
                       for key in ("dist_a", "dist_b", "angle_deg")})
        records.append(record)
    return records


def measured(path: pd.DataFrame) -> dict[str, float]:
    """Barriers of one pair's train-split path (11 points, the whole split): the largest loss
    above the straight line and the error barrier (%)."""
    train = path[path["split"] == "train"].set_index("alpha").sort_index()
    loss, err = train["loss"], train["error"]
    line = (1 - loss.index) * loss.iloc[0] + loss.index * loss.iloc[-1]
    return {"loss_barrier_max": float((loss - line).max()),
            "error_barrier": 100 * float(err.max() - (err.iloc[0] + err.iloc[-1]) / 2)}


RECORD_KEYS = ("samples", "loss", "slope", "curvature", "layers", "grad_norm_a", "grad_norm_b", "delta_norm",
               "init_dist_a", "init_dist_b", "init_angle_deg")


def record_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    """What one derivatives record says of its path: the midpoint loss barrier on the
    record's own samples (what the predictors estimate), the sample count, each predictor,
    the slopes and curvatures at A, half-way and at B, the norms and the geometry about the
    point the pair left."""
    loss, slope, curv = (torch.tensor(rec[k], dtype=torch.float64) for k in DERIVATIVES)
    pred = predicted_barriers(slope[0], slope[2], curv[0], curv[2], curv[1])
    return {"loss_barrier_mid": float(loss[1] - (loss[0] + loss[2]) / 2), "samples": rec["samples"],
            **{f"predicted_{form}": float(v) for form, v in pred.items()},
            "slope_a": float(slope[0]), "slope_b": float(slope[2]), "curvature_a": float(curv[0]),
            "curvature_mid": float(curv[1]), "curvature_b": float(curv[2]),
            **{k: rec[k] for k in ("grad_norm_a", "grad_norm_b", "delta_norm", "init_dist_a", "init_dist_b",
                                   "init_angle_deg")}}


def fitted_threshold(loss_barrier: pd.Series, connected: pd.Series) -> float:
    """The loss-barrier threshold τ at which "loss barrier < τ" agrees best with `connected`
    (ties: the smallest τ); candidates half-way between sorted values and beyond both ends."""
    values = np.sort(loss_barrier.to_numpy())
    candidates = np.concatenate([[values[0] - 1.0], (values[1:] + values[:-1]) / 2, [values[-1] + 1.0]])
    scores = [((loss_barrier < t) == connected).mean() for t in candidates]
    return float(candidates[int(np.argmax(scores))])


def agreement(pairs: pd.DataFrame, layers: pd.DataFrame) -> pd.DataFrame:
    """Per predictor: pairs, Spearman ρ and median absolute error against the measured
    midpoint loss barrier, and the share of LMC verdicts it gets right (module docstring);
    the measured loss barrier's own share (the ceiling) and the majority verdict's share
    (the floor) beside it."""
    connected = pairs["error_barrier"] < LMC_THRESHOLD
    tau = fitted_threshold(pairs["loss_barrier_mid"], connected)
    ceiling = float(((pairs["loss_barrier_mid"] < tau) == connected).mean())
    floor = float(max(connected.mean(), 1 - connected.mean()))
    rows = []
    for form in FORMS:
        predicted = pairs[f"predicted_{form}"]
        rows.append({"path": "whole network", "predictor": form, "pairs": len(pairs),
                     "spearman": predicted.corr(pairs["loss_barrier_mid"], method="spearman"),
                     "median_abs_error": float((predicted - pairs["loss_barrier_mid"]).abs().median()),
                     "verdicts_right": float(((predicted < tau) == connected).mean()),
                     "verdicts_right_measured": ceiling, "verdicts_right_majority": floor, "tau": tau})
    if len(layers):
        predicted, target = layers["predicted_taylor"], layers["loss_barrier_mid"]
        rows.append({"path": "each layer", "predictor": "taylor", "pairs": len(layers),
                     "spearman": predicted.corr(target, method="spearman"),
                     "median_abs_error": float((predicted - target).abs().median())})
    return pd.DataFrame(rows)
