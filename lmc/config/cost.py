"""What a config costs to run: training and evaluation FLOPs per setting, summed per
artefact (a run shared by several artefacts is counted once, under the first), the jobs
the packed DAG runs for them (one training and one interpolation job per setting, per
`pairs_per_job` chunk or per bundle), and a GPU-hour estimate at a stated throughput
with each job's start-up and each training step's launch floor. The training-dynamics
artefacts add their trunks, spawned pairs and snapshot paths (`dynamics_cost`) to the
settings' own pairs.

    python -m lmc.config.cost                              # config.yaml
    python -m lmc.config.cost config.yaml config/quick.yaml   # presets merged over it, as Snakemake does

FLOPs are counted from the architecture's shapes (no model is built): the forward pass of
one sample, times 3 for a training step (forward + backward), times the samples seen.
For an MLP that is the usual 6 * params * samples; a convolution (or its locally
connected twin) costs one multiply-add per weight and output position, and attention
adds the T^2 * D score and mixing products, which a parameter count does not see.
"""
from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import yaml

from lmc.config import artefacts, grid
from lmc.data import datasets
from lmc.train.settings import point_step, steps_per_epoch

# Assumed sustained throughput of one data-centre GPU (A100/H100 class) on these small fp32
# models: ~20 TFLOP/s (about a third of an H100's 67 TFLOP/s fp32 peak), plus a floor of
# 1 ms per optimisation step of a training job (kernel launches dominate small MLPs; all
# members of a job step together, so the floor is paid per job, not per pair), plus each
# job's start-up (Python, torch, mapping the data: measured ≈ 3 s on 2 CPU cores,
# docs/performance.md).
ASSUMED_FLOPS = 20e12
STEP_OVERHEAD_S = 1e-3
STARTUP_S = 3.0
MEMBERS = 2


def forward_flops(setting: Mapping[str, Any]) -> int:
    """FLOPs (2 per multiply-add) of one sample's forward pass; biases, norms and
    activations are ignored (they are lower order)."""
    meta = datasets.info(setting["dataset"])
    c, h, w = meta.shape
    k = meta.classes
    model = setting["model"]
    if model in ("linear", "mlp"):
        sizes = [c * h * w] + [setting["width"]] * (setting["depth"] - 1) + [k]
        return 2 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    if model in ("cnn", "lcn"):
        q = setting["kernel"]
        positions = (h // q) * (w // q)
        hidden = setting["channels"] * positions
        return 2 * hidden * c * q * q + 2 * hidden * k
    if model == "vit":
        p = setting["patch"]
        n = (h // p) * (w // p)
        t = n + 1
        d = setting["heads"] * setting["head_dim"]
        return 2 * (n * c * p * p * d          # patch embedding
                    + t * d * 3 * d            # q, k, v
                    + 2 * t * t * d            # q k^T and attention @ v, all heads
                    + t * d * d                # output projection
                    + d * k)                   # classifier on the class token
    raise ValueError(f"unknown model {model!r}")


def setting_cost(setting: Mapping[str, Any], pairs: int, points: int) -> dict[str, float]:
    """FLOPs and GPU seconds of `pairs` pairs of one setting: training both members
    (plus their per-epoch test evaluation) and the `points`-point path on both splits."""
    meta = datasets.info(setting["dataset"])
    fwd = forward_flops(setting)
    epochs = setting["epochs"]
    train = 3 * fwd * meta.n_train * epochs * MEMBERS + fwd * meta.n_test * epochs * MEMBERS
    evaluate = fwd * (meta.n_train + meta.n_test) * points
    steps = math.ceil(meta.n_train / setting["batch_size"]) * epochs
    flops = pairs * (train + evaluate)
    seconds = flops / ASSUMED_FLOPS + pairs * steps * STEP_OVERHEAD_S
    return {"forward_flops": fwd, "train_flops": pairs * train, "eval_flops": pairs * evaluate,
            "steps": pairs * steps, "gpu_seconds": seconds}


def _jobs(config: Mapping[str, Any], built: Sequence[str]) -> dict[str, tuple[str, int]]:
    """run id -> (its training job, how many training jobs its pairs take)."""
    chunks = len(grid.pair_chunks(config["pairs"], config.get("pairs_per_job", "all")))
    jobs = {run: (run, chunks) for run in grid.all_runs(config, built)}
    for runs in grid.bundles(config, built):
        jobs.update({run: (grid.bundle_id(runs), 1) for run in runs})
    return jobs


def dynamics_cost(config: Mapping[str, Any], artefact: str, setting: Mapping[str, Any]) -> dict[str, float]:
    """What the training-dynamics artefacts add to a setting's own pairs: for `instability`
    the trunk of each pair (to the last spawn point) and A and B spawned at every k > 0
    (to the end), with their paths; for `barrier_over_time` the path of every snapshot pair."""
    kind = artefacts.ARTEFACTS[artefact].kind
    meta = datasets.info(setting["dataset"])
    fwd, pairs, points = forward_flops(setting), config["pairs"], len(config["alphas"])
    path = fwd * (meta.n_train + meta.n_test) * points
    per_epoch = steps_per_epoch(setting)
    member_steps = steps = paths = 0
    if kind == "spawn":
        spec = config["artefacts"][artefact]["spawn"]
        ks = [point_step(spec["unit"], p, per_epoch) for p in spec["points"] if p > 0]
        total = per_epoch * setting["epochs"]
        steps = max(ks, default=0) + sum(total - k for k in ks)                   # stacked steps
        member_steps = max(ks, default=0) + 2 * sum(total - k for k in ks)
        paths = len(ks)
    elif kind == "snapshots":
        paths = len(config["artefacts"][artefact]["snapshot_epochs"])
    train = 3 * fwd * setting["batch_size"] * member_steps * pairs
    evaluate = path * paths * pairs
    # a trunk job, then one training and one interpolation job for every spawn point; one
    # interpolation job for the snapshots; all pairs of a setting in one job each
    jobs = 3 if kind == "spawn" and paths else (1 if kind == "snapshots" else 0)
    return {"train_flops": train, "eval_flops": evaluate, "steps": steps, "jobs": jobs,
            "gpu_seconds": (train + evaluate) / ASSUMED_FLOPS + steps * STEP_OVERHEAD_S + jobs * STARTUP_S}


def layer_count(setting: Mapping[str, Any]) -> int:
    """Layers of the layer-wise analysis (lmc.analyses.layerwise.layer_groups), from a model built on
    the meta device (no memory, no random draws)."""
    import torch

    from lmc.analyses.layerwise import layer_groups
    from lmc.nn.models import build_model

    meta = datasets.info(setting["dataset"])
    with torch.device("meta"):
        model = build_model(setting, meta.shape, meta.classes)
    return len(layer_groups(model.state_dict()))


def analysis_cost(setting: Mapping[str, Any], analysis: str, pairs: int, config: Mapping[str, Any]) -> float:
    """Evaluation FLOPs of one analysis (rules/analyses.smk) over `pairs` pairs: every
    network it evaluates, forward on both whole splits (derivatives: forward-equivalents on
    the train split). Weight matching itself (a few
    linear assignment problems on the CPU) is negligible beside that."""
    meta = datasets.info(setting["dataset"])
    per_network = forward_flops(setting) * (meta.n_train + meta.n_test)
    if analysis == "align":
        networks = len(config["alphas"])                       # the aligned path
        if config["analysis"]["align"]["method"] == "activation":
            networks += 2 * meta.n_train / (meta.n_train + meta.n_test)   # A and B on the train set
    elif analysis == "layerwise":
        networks = 2 + 4 * layer_count(setting)       # A, B; per layer single / cumulative, in A and B
    elif analysis == "plane":
        nx, ny = config["analysis"]["plane"]["grid"]
        networks = nx * ny
    elif analysis == "derivatives":
        # train split only: a nested jvp (four tangent streams; ~9 matrix products per linear
        # layer where a forward pass has 1) at α = 0, ½, 1 of the path and at α = 0 of each
        # layer's, a forward pass at α = ½ of each layer's, a gradient (~3) at A and at B
        samples = config["analysis"].get("derivatives", {}).get("samples", "all")
        used = meta.n_train if samples == "all" else min(samples, meta.n_train)
        train_share = used / (meta.n_train + meta.n_test)
        layers = layer_count(setting)
        networks = (9 * (3 + layers) + layers + 2 * 3) * train_share
    else:
        raise ValueError(f"unknown analysis {analysis!r}")
    return pairs * networks * per_network


def along_training_points(config: Mapping[str, Any], artefact: str) -> int:
    """Points of a dynamics artefact with their own derivatives: every snapshot epoch, every
    spawn point k > 0 (k = 0 is the pair itself, counted with the setting's analyses)."""
    spec = config["artefacts"][artefact]
    if artefacts.ARTEFACTS[artefact].kind == "spawn":
        return sum(1 for p in spec["spawn"]["points"] if p > 0)
    return len(spec.get("snapshot_epochs", []))


def _analyses_cost(config: Mapping[str, Any], artefact: str, entries: Sequence[Mapping[str, Any]],
                   analysed: set[tuple[str, str]], over_training: set[str]) -> tuple[float, int]:
    """FLOPs and jobs of the analyses of an artefact's settings not analysed before
    (`analysed`: (run id, analysis); `over_training`: datasets that already have a
    path_derivatives_over_training job; both updated)."""
    extra, job_count = 0.0, 0
    packed: set[tuple[str, str]] = set()  # (analysis, dataset) with a job for this artefact
    for e in entries:
        for analysis in e.get("analyses", []):
            if (e["run_id"], analysis) not in analysed:
                analysed.add((e["run_id"], analysis))
                extra += analysis_cost(e["setting"], analysis, config["pairs"], config)
                if analysis == "plane":
                    job_count += 1        # one plane job per setting, every pair
                elif (analysis, e["setting"]["dataset"]) not in packed:
                    packed.add((analysis, e["setting"]["dataset"]))
                    job_count += 1        # one job per artefact, dataset and analysis
    if artefacts.ARTEFACTS[artefact].kind != "pairs":     # derivatives at every t or k > 0
        for e in {e["run_id"]: e for e in entries}.values():
            if "derivatives" in e.get("analyses", []):
                extra += along_training_points(config, artefact) * analysis_cost(
                    e["setting"], "derivatives", config["pairs"], config)
                if e["setting"]["dataset"] not in over_training:
                    over_training.add(e["setting"]["dataset"])
                    job_count += 1        # one path_derivatives_over_training job per dataset
    return extra, job_count


def cost_table(config: Mapping[str, Any]) -> pd.DataFrame:
    """One row per artefact: new settings (not already counted under an earlier artefact),
    pairs, the training and interpolation jobs they take (a bundle counted under the
    artefact of its first setting), PFLOPs (training, the path, the analyses) and GPU
    hours; and a total row. An analysis of a setting shared by several artefacts is
    counted once, like its training."""
    seen: set[str] = set()
    counted_jobs: set[str] = set()
    analysed: set[tuple[str, str]] = set()
    over_training: set[str] = set()           # datasets with a path_derivatives_over_training job
    rows = []
    points = len(config["alphas"])
    built = grid.built_artefacts(config)
    jobs = _jobs(config, built)
    for artefact in artefacts.trained(built):
        entries = grid.artefact_settings(config, artefact)
        new = [e for e in {e["run_id"]: e for e in entries}.values() if e["run_id"] not in seen]
        seen.update(e["run_id"] for e in new)
        costs = [setting_cost(e["setting"], config["pairs"], points) for e in new]
        train_jobs = 0
        floor = 0.0
        for e in new:
            job, count = jobs[e["run_id"]]
            if job not in counted_jobs:
                counted_jobs.add(job)
                train_jobs += count
                # every job steps all its members together: one launch floor per job
                floor += count * setting_cost(e["setting"], 1, points)["steps"] * STEP_OVERHEAD_S
        job_count = 2 * train_jobs        # each training job has its interpolation job
        if artefacts.ARTEFACTS[artefact].kind != "pairs":      # spawned pairs, snapshot paths
            extra = [dynamics_cost(config, artefact, e["setting"])
                     for e in {e["run_id"]: e for e in entries}.values()]
            costs += extra
            floor += sum(c["steps"] for c in extra) * STEP_OVERHEAD_S
            job_count += sum(c["jobs"] for c in extra)
        compute = sum(c["train_flops"] + c["eval_flops"] for c in costs) / ASSUMED_FLOPS
        extra, analysis_jobs = _analyses_cost(config, artefact, entries, analysed, over_training)
        job_count += analysis_jobs
        rows.append({"artefact": artefact, "settings": len(entries), "new_settings": len(new),
                     "pairs": len(new) * config["pairs"], "jobs": job_count,
                     "train_pflop": sum(c["train_flops"] for c in costs) / 1e15,
                     "eval_pflop": sum(c["eval_flops"] for c in costs) / 1e15,
                     "analyses_pflop": extra / 1e15,
                     "startup_hours": job_count * STARTUP_S / 3600,
                     "gpu_hours": (compute + extra / ASSUMED_FLOPS + floor + job_count * STARTUP_S) / 3600})
    table = pd.DataFrame(rows)
    total = {"artefact": "total", **{c: table[c].sum() for c in table.columns if c != "artefact"}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def load(paths: Sequence[str]) -> dict[str, Any]:
    """config.yaml and presets merged the way Snakemake merges --configfile."""
    def merge(base: dict, over: Mapping) -> None:
        for key, value in over.items():
            if isinstance(value, Mapping) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value

    config: dict[str, Any] = {}
    for p in paths:
        with open(p) as f:
            merge(config, yaml.safe_load(f))
    return config


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=["config.yaml"], help="config.yaml, then presets")
    args = parser.parse_args(argv)
    missing = [p for p in args.configs if not os.path.isfile(p)]
    if missing:
        parser.exit(2, f"{missing[0]}: no such config file (config.yaml is at the repository root; presets "
                       f"under config/, e.g. python -m lmc.config.cost config.yaml config/quick.yaml)\n")
    config = load(args.configs)
    table = cost_table(config)
    with pd.option_context("display.float_format", "{:,.3g}".format, "display.width", 120):
        print(table.to_string(index=False))
    print(f"\nassumed: {ASSUMED_FLOPS / 1e12:.0f} TFLOP/s sustained, "
          f"{STEP_OVERHEAD_S * 1e3:.0f} ms per training step of a job, {STARTUP_S:.0f} s start-up per job; "
          f"jobs: training + interpolation (pairs_per_job: {config.get('pairs_per_job', 'all')}, "
          f"bundle: {config.get('bundle', 1)})")


if __name__ == "__main__":
    main()
