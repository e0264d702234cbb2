"""The training job behind `scripts/train.py` (rules train_setting and train_bundle_*):
every pair of one setting (or the `pairs_per_job` chunk of them the rule names), or of
every setting of a bundle, trained as one batched computation, members ordered a0, b0,
a1, b1, ... per setting; then each pair's weights, metrics, seeds and provenance, and
each setting itself. Here, not in the script, so tests can call it.

Training pairs together gives each pair the bytes it gets alone on CPU (every layer is a
per-member batched kernel; tests/test_train.py checks it), so a run's files do not depend
on how its pairs were packed into jobs."""
from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from lmc.data import arrays
from lmc.jobs.pairs import write_pair
from lmc.jobs.setup import setup
from lmc.train import kept_pairs, loop, snapshots
from lmc.util import devices, io, provenance
from lmc.util.logs import log
from lmc.util.pair_files import PAIR_FILES, output_key, pair_outputs, setting_key, snapshot_key


def train_job(settings: Sequence[Mapping[str, Any]], seeds: Sequence[Sequence[Mapping[str, int]]],
              betons: Mapping[str, str], pairs: Sequence[int], outputs: Mapping[str, str], state_path: str,
              data_path: str = "resident", device: str = "auto", threads: int = 1, checkpoint_every: int = 0,
              code: str | None = None, snapshot_epochs: Sequence[int] = ()) -> loop.TrainResult:
    """Train A and B of each of `pairs` of every setting (`seeds[i][j]`: setting i's pair
    pairs[j]) as one computation, and write their files (`outputs[output_key(name, i, k)]`)
    and, where `outputs` names them, each setting.json. After each epoch t of
    `snapshot_epochs` (barrier along training, lmc.train.snapshots) every member whose
    `snapshot_key` is in `outputs` saves its weights there. The resumable state file is
    removed once every output exists."""
    setup(threads)
    for setting, own in zip(settings, seeds):
        log.info("setting %s, pairs %s, seeds %s", json.dumps(dict(setting), sort_keys=True), list(pairs),
                 [dict(s) for s in own])
    suffix = (lambda i: "") if len(settings) == 1 else (lambda i: f"s{i}")
    todo = _restore_kept_pairs(settings, seeds, pairs, outputs, betons, code)
    members = [(i, k, m) for i, k in todo for m in loop.MEMBER_NAMES]
    names = [f"{m}{k}{suffix(i)}" for i, k, m in members]
    member_settings = [settings[i] for i, _, _ in members]
    pair_seeds = {(i, k): seeds[i][pairs.index(k)] for i, k in todo}
    order_seeds = [pair_seeds[i, k][f"order_seed_{m}"] for i, k, m in members]
    inits = [state for i, k in todo for state in loop.pair_inits(settings[i], pair_seeds[i, k])]
    shots = snapshots.SnapshotFiles({t: [outputs.get(snapshot_key(m, t, i, k)) for i, k, m in members]
                                     for t in snapshot_epochs})
    snapshots.keep_checkpoint_if_complete(state_path, shots.written())
    resume_only_with_this_code(state_path, code)
    with devices.claim_gpu(prefer=device) as dev:     # distinct GPUs for concurrent jobs
        # resident splits from convert's arrays on both paths (the ffcv path trains from
        # Loaders over the .beton and evaluates on the resident test split); set up came
        # first, before the kept pairs and the initial states (not lmc.jobs.setup.on_device)
        tr, te = arrays.read_split(betons["train"], dev), arrays.read_split(betons["test"], dev)
        result = loop.train_members(member_settings, inits, order_seeds, tr, te, dev, data_path=data_path,
                                    train_beton=betons["train"], state_path=state_path,
                                    checkpoint_every=checkpoint_every, names=names,
                                    dynamics=loop.Dynamics(snapshot_epochs=list(shots.paths),
                                                           on_snapshot=shots.save))
    shots.finish(result.members)
    finished = time.time()
    record = provenance.collect(dev, provenance.process_start(), result.compute_started, finished, code)
    record.update(settings_in_job=len(settings), pairs_in_job=len(todo))
    log.info("start-up %.1f s, compute %.1f s, wall-clock %.1f s", record["startup_seconds"],
             finished - result.compute_started, record["wall_seconds"])
    for a in range(0, len(members), 2):
        i, k, _ = members[a]
        write_pair(result, a, names, {n: outputs[output_key(n, i, k)] for n in PAIR_FILES},
                   seeds[i][pairs.index(k)], record)
    for i, setting in enumerate(settings):
        if setting_key(i) in outputs:
            io.write_json(dict(setting), outputs[setting_key(i)])
    for i, k in todo:
        kept_pairs.keep(pair_outputs(outputs, i, k), _made_by(settings, seeds, pairs, i, k, betons, code))
    for path in (state_path, state_path + CODE_TAG):
        if os.path.exists(path):
            os.unlink(path)
    return result


CODE_TAG = ".code"


def resume_only_with_this_code(state_path: str, code: str | None) -> None:
    """A resumable state left by other code (the job re-runs because its code digest changed)
    is moved aside: resuming it would give epochs of one trainer followed by epochs of
    another. The digest of the code that writes the state is kept beside it."""
    tag = state_path + CODE_TAG
    if os.path.exists(state_path):
        written_by = open(tag).read() if os.path.exists(tag) else None
        if written_by != (code or ""):
            os.replace(state_path, state_path + ".stale")
            log.warning("%s: written by other code (digest %s, this job's %s); moved it to %s.stale "
                        "(nothing deleted), training starts from epoch 0",
                        state_path, written_by, code, state_path)
    io.write_text(code or "", tag)


def _made_by(settings, seeds, pairs, i: int, k: int, betons: Mapping[str, str], code: str | None) -> dict:
    data = {split: arrays.content_of(path) for split, path in sorted(betons.items())}
    return kept_pairs.identity(settings[i], seeds[i][pairs.index(k)], code, data)


def _restore_kept_pairs(settings, seeds, pairs, outputs, betons, code) -> list[tuple]:
    """The (setting, pair) indices left to train. Where some are not kept (pairs were
    added), every kept, intact pair is restored instead of trained (lmc.train.kept_pairs)."""
    every = [(i, k) for i in range(len(settings)) for k in pairs]
    kept = [(i, k) for i, k in every if kept_pairs.intact(
        pair_outputs(outputs, i, k), _made_by(settings, seeds, pairs, i, k, betons, code))]
    if not kept or len(kept) == len(every):
        return every                   # nothing kept, or a re-run asked for: train them all
    for i, k in kept:
        kept_pairs.restore(pair_outputs(outputs, i, k))
    log.info("restored %d kept pair(s) trained before, unchanged (%s; lmc.train.kept_pairs); "
             "training the other %d",
             len(kept), ", ".join(f"setting {i} pair {k}" for i, k in kept), len(every) - len(kept))
    return [p for p in every if p not in kept]
