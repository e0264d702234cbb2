"""The training job behind `scripts/train_pair.py` (rule train_pair): read the setting
and data, train A and B, write weights, metrics, seeds and provenance. Here, not in the
script, so tests can call it."""
from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence

from . import beton, devices, io, provenance, snapshots, train
from .logs import log
from .runs import read_setting, setup


def train_pair_job(setting_json: str, train_beton: str, test_beton: str, seeds: Mapping[str, int],
                   outputs: Mapping[str, str], state_path: str, data_path: str = "resident",
                   device: str = "auto", threads: int = 1, checkpoint_every: int = 0,
                   code: str | None = None, snapshot_epochs: Sequence[int] = ()) -> train.TrainResult:
    """Train A and B, then write init/a/b weights, metrics, seeds and (if `outputs` names
    it) provenance.json. The resumable state file is removed once the outputs exist.
    After each epoch t in `snapshot_epochs` (barrier along training, lmc.snapshots) the
    weights of A and B go to outputs["a_e{t}"] and outputs["b_e{t}"]."""
    setup(threads)
    setting = read_setting(setting_json)
    log.info("setting %s, seeds %s", json.dumps(setting, sort_keys=True), dict(seeds))
    shots = snapshots.SnapshotFiles({t: (outputs[f"a_e{t}"], outputs[f"b_e{t}"]) for t in snapshot_epochs})
    snapshots.keep_checkpoint_if_complete(state_path, shots.written())
    with devices.claim_gpu(prefer=device) as dev:     # distinct GPUs for concurrent jobs
        tr = beton.Split.from_beton(train_beton, dev)
        te = beton.Split.from_beton(test_beton, dev)
        result = train.train_pair(setting, seeds, tr, te, dev, data_path=data_path, train_beton=train_beton,
                                  state_path=state_path, checkpoint_every=checkpoint_every,
                                  snapshot_epochs=list(shots.paths), on_snapshot=shots.save)
    shots.finish(result.members)
    io.save_weights(result.inits[0], outputs["init"])
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
