"""Job-level entry points behind the Snakemake scripts: read files, run the library,
write outputs. Kept here (not in scripts/) so tests can call them directly."""
from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import torch

from . import data, devices, interpolate, io, provenance, train
from .logs import log


def _setup(threads: int) -> None:
    torch.set_num_threads(max(1, int(threads)))
    # Byte-identical reruns on CPU; on GPU, deterministic kernels where torch has them.
    torch.use_deterministic_algorithms(True, warn_only=True)
    log.info("%d CPU threads, torch %s", torch.get_num_threads(), torch.__version__)


def read_setting(path: str | os.PathLike) -> dict[str, Any]:
    with open(path) as f:
        return json.load(f)


def train_pair_job(setting_json: str, train_beton: str, test_beton: str, seeds: Mapping[str, int],
                   outputs: Mapping[str, str], state_path: str, data_path: str = "resident",
                   device: str = "auto", threads: int = 1, checkpoint_every: int = 0,
                   code: str | None = None) -> train.TrainResult:
    """Train A and B, then write init/a/b weights, metrics, seeds and (if `outputs` names
    it) provenance.json. The resumable state file is removed once the outputs exist."""
    _setup(threads)
    setting = read_setting(setting_json)
    log.info("setting %s, seeds %s", json.dumps(setting, sort_keys=True), dict(seeds))
    with devices.claim_gpu(prefer=device) as dev:     # distinct GPUs for concurrent jobs
        tr = data.Split.from_beton(train_beton, dev)
        te = data.Split.from_beton(test_beton, dev)
        result = train.train_pair(setting, seeds, tr, te, dev, data_path=data_path, train_beton=train_beton,
                                  state_path=state_path, checkpoint_every=checkpoint_every)
    io.save_weights(result.init, outputs["init"])
    io.save_weights(result.members[0], outputs["a"])
    io.save_weights(result.members[1], outputs["b"])
    io.write_csv(result.metrics, outputs["metrics"])
    io.write_json({**dict(seeds), "diverged": {"a": result.diverged[0], "b": result.diverged[1]}},
                  outputs["seeds"])
    if "provenance" in outputs:
        record = provenance.collect(dev, provenance.process_start(), result.compute_started, time.time(),
                                    code)
        log.info("start-up %.1f s, wall-clock %.1f s", record["startup_seconds"], record["wall_seconds"])
        io.write_json(record, outputs["provenance"])
    if os.path.exists(state_path):
        os.unlink(state_path)
    return result


def interpolate_job(setting_json: str, a: str, b: str, betons: Mapping[str, str], alphas: Sequence[float],
                    device: str = "auto", threads: int = 1, batch_size: int = 2048) -> pd.DataFrame:
    _setup(threads)
    setting = read_setting(setting_json)
    with devices.claim_gpu(prefer=device) as dev:
        splits = {name: data.Split.from_beton(path, dev) for name, path in betons.items()}
        wa, wb = io.load_weights(a), io.load_weights(b)
        log.info("start-up %.1f s (process start to the first evaluated batch)",
                 time.time() - provenance.process_start())
        started = time.time()
        path = interpolate.evaluate_path(wa, wb, setting, splits, alphas, dev, batch_size)
    log.info("evaluated %d points on %s in %.1f s", len(alphas), ", ".join(splits), time.time() - started)
    return path


def index_table(run_ids: Sequence[str], setting_jsons: Sequence[str]) -> pd.DataFrame:
    """One row per run: id, readable setting columns, where its files are (the folder of
    its setting.json); `run_ids[i]` is the id of `setting_jsons[i]`."""
    if len(run_ids) != len(setting_jsons):
        raise ValueError(f"{len(run_ids)} run ids for {len(setting_jsons)} setting files")
    rows = []
    for run, path in zip(run_ids, setting_jsons):
        setting = read_setting(path)
        rows.append({"run_id": run,
                     **{k: json.dumps(v) if isinstance(v, list) else v for k, v in setting.items()},
                     "path": os.path.dirname(path)})
    return pd.DataFrame(rows).sort_values("run_id").reset_index(drop=True)


def write_setting(setting: Mapping[str, Any], path: str, log_path: str) -> None:
    """A run's setting.json, and one line in the rule's log saying what was written (the
    `setting` rule runs in Snakemake's own process, so it cannot redirect its output)."""
    io.write_json(dict(setting), path)
    io.write_text(f"wrote {path}: {json.dumps(dict(setting), sort_keys=True)}\n", log_path)
