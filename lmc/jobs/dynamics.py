"""The jobs of the training-dynamics artefacts (rules/dynamics.smk): the trunks of a
setting, the A and B spawned from them at every spawn point, and the linear paths of many pairs
of weights in one process (spawned pairs, snapshot pairs). Here, not in the scripts, so
tests can call them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lmc.jobs import interpolate
from lmc.jobs.pairs import write_pair
from lmc.jobs.setup import on_device
from lmc.train import loop, snapshots, spawn
from lmc.train.settings import point_step, steps_per_epoch
from lmc.util import io
from lmc.util.logs import log


def trunk_job(
    setting: Mapping[str, Any],
    train_beton: str,
    test_beton: str,
    pairs: Sequence[int],
    unit: str,
    points: Mapping[str, float],
    outputs: Mapping[str, Any],
    state_path: str,
    data_path: str = "resident",
    device: str = "auto",
    threads: int = 1,
    checkpoint_every: int = 0,
) -> dict[str, int]:
    """Train the trunk of every pair in `pairs` and save the trunks' full state at every
    spawn point (`points`: name -> point in `unit`) to outputs["states"][name]; write the
    trunks' metrics and seeds. Returns name -> step."""
    with on_device(threads, device, {"train": train_beton, "test": test_beton}) as (dev, splits):
        tr, te = splits["train"], splits["test"]
        per_epoch = steps_per_epoch(setting, len(tr))
        steps = {name: point_step(unit, p, per_epoch) for name, p in points.items()}
        log.info("spawn points (step of %d per epoch): %s", per_epoch, steps)
        states = outputs["states"]
        snapshots.keep_checkpoint_if_complete(
            state_path, [(s / per_epoch, states[n]) for n, s in steps.items()]
        )

        def save(step: int, state: dict[str, Any]) -> None:
            for name in (n for n, s in steps.items() if s == step):
                io.save_state({**state, "pairs": list(pairs)}, snapshots.staged(states[name]))

        result = spawn.train_trunks(setting, pairs, tr, te, dev, sorted(set(steps.values())), save,
                                    data_path=data_path, train_beton=train_beton, state_path=state_path,
                                    checkpoint_every=checkpoint_every)
    missing = [n for n in steps if not os.path.exists(snapshots.staged(states[n]))]
    if missing:
        raise RuntimeError(f"every trunk diverged before the spawn point(s) {', '.join(missing)}")
    snapshots.publish(states[n] for n in steps)
    metrics = result.metrics.copy()
    metrics["pair"] = metrics["member"].map({loop.member_name(m): p for m, p in enumerate(pairs)})
    io.write_csv(metrics.drop(columns="member"), outputs["metrics"])
    io.write_json(
        {
            "steps": steps,
            "steps_per_epoch": per_epoch,
            "pairs": {str(p): spawn.spawn_seeds(setting, p) for p in pairs},
        },
        outputs["seeds"],
    )
    if os.path.exists(state_path):
        os.unlink(state_path)
    return steps


def spawn_job(
    setting: Mapping[str, Any],
    train_beton: str,
    test_beton: str,
    trunks: Mapping[str, str],
    pairs: Sequence[int],
    outputs: Mapping[str, Mapping[int, Mapping[str, str]]],
    state_paths: Mapping[str, str],
    data_path: str = "resident",
    device: str = "auto",
    threads: int = 1,
    checkpoint_every: int = 0,
) -> None:
    """A and B of every pair at every spawn point, in one process (one start-up for the
    setting's whole sweep): `trunks` maps each point's name to the file of the trunks'
    state there; from it A and B train to the end; outputs[point][pair] names their a, b,
    metrics and seeds files. Each point trains with its own resumable state file
    (`state_paths`); all are kept until every point is done, so a job killed after some
    points resumes each of them from its last checkpoint instead of from the start."""
    with on_device(threads, device, {"train": train_beton, "test": test_beton}) as (dev, splits):
        tr, te = splits["train"], splits["test"]
        for point, trunk in trunks.items():
            state = io.load_state(trunk)
            if list(state["pairs"]) != list(pairs):
                raise RuntimeError(f"{trunk} holds the trunks of pairs {state['pairs']}, not {list(pairs)}")
            log.info("spawning pairs %s at step %d (%s)", list(pairs), state["step"], point)
            result = spawn.train_spawned(
                setting,
                state,
                pairs,
                tr,
                te,
                dev,
                data_path=data_path,
                train_beton=train_beton,
                state_path=state_paths[point],
                checkpoint_every=checkpoint_every,
            )
            _write_spawned(setting, point, int(state["step"]), pairs, result, outputs[point])
    for path in state_paths.values():
        if os.path.exists(path):
            os.unlink(path)


def _write_spawned(setting: Mapping[str, Any], point: str, step: int, pairs: Sequence[int],
                   result: loop.TrainResult, outputs: Mapping[int, Mapping[str, str]]) -> None:
    names = [loop.member_name(m) for m in range(2 * len(pairs))]
    for i, p in enumerate(pairs):
        seeds = {**spawn.spawn_seeds(setting, p, step), "spawn_point": point}
        write_pair(result, 2 * i, names, outputs[p], seeds)


def paths_job(
    setting: Mapping[str, Any],
    betons: Mapping[str, str],
    ends: Sequence[tuple[str, str]],
    alphas: Sequence[float],
    device: str = "auto",
    threads: int = 1,
    batch_size: int = 2048,
) -> list[pd.DataFrame]:
    """The path of every (A, B) weight-file pair in `ends` (spawned pairs, snapshots): the
    interpolation job's own evaluation, `lmc.jobs.interpolate.evaluate_paths`."""
    return interpolate.evaluate_paths(setting, betons, ends, alphas, device, threads, batch_size)


def by_epoch(paths: Sequence[pd.DataFrame], epochs: Sequence[int]) -> pd.DataFrame:
    """The paths of one pair's snapshots (A_t, B_t), one per epoch t, as one tidy table."""
    frames = [p.assign(epoch=int(t)) for p, t in zip(paths, epochs)]
    return pd.concat(frames).sort_values(["epoch", "split", "alpha"], kind="stable").reset_index(drop=True)
