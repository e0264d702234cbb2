"""The config of the training-dynamics artefacts, read at parse time (no torch): the
spawn points of `instability` (`spawn: {unit, points}`) and the snapshot epochs of
`barrier_over_time` (`snapshot_epochs`), and the checks the schema cannot express, one
line each naming the key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lmc.train.settings import point_step, steps_per_epoch

UNITS = {"epochs": "epoch", "steps": "step"}
SPAWN = "instability"
SNAPSHOTS = "barrier_over_time"


def point_name(unit: str, point: float) -> str:
    """'epoch0.25', 'step100': a spawn point's folder under results/runs/{run}/spawn/."""
    return f"{UNITS[unit]}{float(point):g}"


def spawn_points(config: Mapping[str, Any], built: Sequence[str]) -> dict[str, float]:
    """name -> point of every spawn point of the sweep, k = 0 included (none when the
    artefact is not built)."""
    if SPAWN not in built:
        return {}
    spec = config["artefacts"][SPAWN]["spawn"]
    return {point_name(spec["unit"], p): float(p) for p in spec["points"]}


def snapshot_epochs(config: Mapping[str, Any], built: Sequence[str]) -> list[int]:
    return [int(t) for t in config["artefacts"][SNAPSHOTS]["snapshot_epochs"]] if SNAPSHOTS in built else []


def _ascending(values: Sequence[float], key: str, example: str) -> list[str]:
    if any(b <= a for a, b in zip(values, values[1:])):
        return [
            f"config error at {key}: {list(values)} must ascend strictly (each value once), e.g. {example}"
        ]
    return []


def check(config: Mapping[str, Any], entries: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Problems of the spawn points and snapshot epochs against the settings they apply
    to (`entries`: artefact -> its grid.artefact_settings), found before any job runs."""
    problems = []
    if SPAWN in entries:
        spec = config["artefacts"][SPAWN]["spawn"]
        key, unit, points = (
            f"artefacts.{SPAWN}.spawn.points",
            spec["unit"],
            [float(p) for p in spec["points"]],
        )
        problems += _ascending(points, key, "[0, 0.25, 0.5, 1, 2]")
        if unit == "steps" and not all(p.is_integer() for p in points):
            problems.append(
                f"config error at {key}: {points} are not whole steps (unit: steps); "
                "use unit: epochs for fractions of an epoch"
            )
        for entry in entries[SPAWN]:
            s = entry["setting"]
            per_epoch = steps_per_epoch(s)
            total = per_epoch * s["epochs"]
            steps = [point_step(unit, p, per_epoch) for p in points]
            name = entry["coords"].get("label") or entry["run_id"]
            if steps and max(steps) >= total:
                problems.append(
                    f"config error at {key}: spawn point {max(points):g} {unit} is not before the end "
                    f"of training of {name!r} ({s['epochs']} epochs, {total} steps); "
                    "A and B would train no step"
                )
            elif len(set(steps)) != len(steps):
                problems.append(
                    f"config error at {key}: {points} {unit} round to the same step for {name!r} "
                    f"({per_epoch} steps per epoch); drop one of them"
                )
            if problems:
                break
    if SNAPSHOTS in entries:
        key = f"artefacts.{SNAPSHOTS}.snapshot_epochs"
        epochs = [float(t) for t in config["artefacts"][SNAPSHOTS]["snapshot_epochs"]]
        problems += _ascending(epochs, key, "[1, 2, 5, 10]")
        for entry in entries[SNAPSHOTS]:
            s = entry["setting"]
            bad = [t for t in epochs if not (t.is_integer() and 1 <= t <= s["epochs"])]
            if bad:
                name = entry["coords"].get("label") or entry["run_id"]
                problems.append(
                    f"config error at {key}: epoch {bad[0]:g} is outside 1..{s['epochs']}, the epochs "
                    f"of {name!r} (a snapshot is taken after a whole epoch)"
                )
                break
    return problems[:1]
