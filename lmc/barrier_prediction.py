"""Could the barrier have been predicted from the endpoints? (issue 22, part 2, on finished runs)

For every pair of a finished `results/` folder: ℓ, ℓ′, ℓ″ at α = 0, ½, 1 on the whole train
split (`lmc.path_derivatives`), the predicted midpoint loss barriers, and the barriers the
11-point path measured (interpolation.csv, train split). Until the pipeline has a rule for
it, run it on any finished results folder:

    python -m lmc.barrier_prediction results --out results/barrier_prediction.csv
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import torch

from . import arrays, beton, io, result_files, stacked
from .data import info
from .models import build_model
from .path_derivatives import path_derivatives, predicted_barriers

ALPHAS = (0.0, 0.5, 1.0)


def measured(path: pd.DataFrame) -> dict[str, float]:
    """Barriers of one pair's train-split path: the loss at ½ above the endpoints' mean (what
    the predictors estimate), the largest loss above the straight line, the error barrier."""
    train = path[path["split"] == "train"].set_index("alpha").sort_index()
    loss, err = train["loss"], train["error"]
    line = (1 - loss.index) * loss.iloc[0] + loss.index * loss.iloc[-1]
    return {"loss_barrier_mid": float(loss.loc[0.5] - (loss.iloc[0] + loss.iloc[-1]) / 2),
            "loss_barrier_max": float((loss - line).max()),
            "error_barrier": float(err.max() - (err.iloc[0] + err.iloc[-1]) / 2)}


def predict_run(run: Path, results: Path, device: str = "cpu", batch_size: int = 4096) -> pd.DataFrame:
    """One row per pair of a finished run folder (results/runs/<id>)."""
    setting = json.loads((run / "setting.json").read_text())
    meta = info(setting["dataset"])
    model = build_model(setting, meta.shape, meta.classes).to(device)
    pairs = sorted((p for p in run.glob("pair*") if (p / "interpolation.csv").exists()),
                   key=lambda p: int(p.name[4:]))
    if not pairs:
        return pd.DataFrame()
    split = arrays.read_split(results / "datasets" / setting["dataset"] / "train.beton", device)
    a = stacked.stack_states([io.load_weights(p / "a.pt") for p in pairs], device)
    b = stacked.stack_states([io.load_weights(p / "b.pt") for p in pairs], device)
    normalise = beton.normaliser(setting["dataset"], device)
    d = path_derivatives(model, a, b, split.images, split.labels, normalise, ALPHAS, batch_size=batch_size)
    pred = predicted_barriers(d["slope"][:, 0], d["slope"][:, 2], d["curvature"][:, 0], d["curvature"][:, 2],
                              d["curvature"][:, 1])
    rows = []
    for i, pair in enumerate(pairs):
        row = {"run_id": run.name, "pair": int(pair.name[4:]), "optimizer": setting["optimizer"],
               "lr": setting["lr"], "model": setting["model"], "depth": setting.get("depth"),
               **measured(result_files.read_path(pair / "interpolation.csv"))}
        for j, alpha in enumerate(ALPHAS):
            for key in ("loss", "slope", "curvature"):
                row[f"{key}_{alpha:g}"] = float(d[key][i, j])
        row.update({f"predicted_{form}": float(v[i]) for form, v in pred.items()})
        row.update({key: float(d[key][i]) for key in ("grad_norm_a", "grad_norm_b", "delta_norm")})
        rows.append(row)
    return pd.DataFrame(rows)


def predict_results(results: Path, device: str = "cpu") -> pd.DataFrame:
    runs = sorted(r for r in (results / "runs").iterdir() if (r / "setting.json").exists())
    frames = [predict_run(run, results, device) for run in runs]
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Per predictor: Spearman ρ against the measured midpoint loss barrier, and the median
    absolute error."""
    rows = []
    for form in [c for c in table if c.startswith("predicted_")]:
        rows.append({"predictor": form.removeprefix("predicted_"),
                     "spearman_vs_mid": table[form].corr(table["loss_barrier_mid"], method="spearman"),
                     "spearman_vs_max": table[form].corr(table["loss_barrier_max"], method="spearman"),
                     "median_abs_error": (table[form] - table["loss_barrier_mid"]).abs().median(),
                     "pairs": len(table)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="a finished results folder")
    parser.add_argument("--out", type=Path, help="write the per-pair table here (CSV)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if not (args.results / "runs").is_dir():
        sys.exit(f"{args.results}: no runs/ folder in it; give a finished results folder (e.g. results)")
    table = predict_results(args.results, args.device)
    if args.out:
        io.write_csv(table, args.out)
    print(agreement(table).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
