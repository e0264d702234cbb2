"""The experiment grid: config -> settings -> content-addressed run ids, and the seeds
of each pair.

A *setting* is everything that determines training. Keys that cannot influence a
setting's training (momentum for Adam, the slope of a linear net, ...) are dropped
before hashing, so two artefacts that ask for the same training share one run id and
the run is trained once.
"""
from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from lmc.config.artefacts import ARTEFACTS, trained
from lmc.train.settings import (
    SettingError,
    bundle_signature,
    canonical,
    run_id,
)

# Analyses beyond the paper an artefact can switch on (`analyses:`; rules/analyses.smk).
ANALYSES = ("align", "layerwise", "plane", "derivatives")


class GridError(SettingError):
    """A config error in an artefact's grid; the message names the key."""


def pair_chunks(pairs: int, pairs_per_job: int | str) -> list[list[int]]:
    """The pair indices each training job of a setting takes: all in one job
    (`pairs_per_job: all`, or a number >= pairs) or consecutive chunks of that size."""
    if pairs_per_job == "all":
        return [list(range(pairs))]
    if isinstance(pairs_per_job, bool) or not isinstance(pairs_per_job, int) or pairs_per_job < 1:
        raise GridError(f"pairs_per_job: {pairs_per_job!r} is not 'all' or a number of pairs >= 1")
    return [list(range(lo, min(lo + pairs_per_job, pairs))) for lo in range(0, pairs, pairs_per_job)]


def bundles(config: Mapping[str, Any], artefacts: Sequence[str],
            exclude: Sequence[str] = ()) -> list[list[str]]:
    """The run ids each bundle job trains (and interpolates) together, for `bundle: N`
    > 1: the settings of one artefact that share a `bundle_signature`, in config order,
    in consecutive chunks of N (a run shared by artefacts goes with the first). Only
    chunks of two or more; every other run gets a job of its own. Editing one setting
    keeps its place, so only its bundle re-runs; adding or removing settings can shift
    the later bundles of that artefact and signature. Runs in `exclude` (those whose
    training also writes snapshots) are never bundled."""
    size = config.get("bundle", 1)
    if size < 2:
        return []
    if config.get("pairs_per_job", "all") != "all" and config["pairs_per_job"] < config["pairs"]:
        raise GridError(f"bundle: {size} with pairs_per_job: {config['pairs_per_job']}: a bundle trains "
                        f"every pair of its settings; set one of them back (bundle: 1 or pairs_per_job: all)")
    seen: set[str] = set()
    groups: dict[tuple, list[str]] = {}
    for art in trained(list(artefacts)):
        for entry in artefact_settings(config, art):
            if entry["run_id"] not in seen and entry["run_id"] not in exclude:
                seen.add(entry["run_id"])
                groups.setdefault((art, bundle_signature(entry["setting"])), []).append(entry["run_id"])
    chunks = [ids[i:i + size] for ids in groups.values() for i in range(0, len(ids), size)]
    return [c for c in chunks if len(c) > 1]


def bundle_id(runs: Sequence[str]) -> str:
    """Short content hash of a bundle's run ids (8 hex digits), for its rule and files."""
    return hashlib.sha256("+".join(runs).encode()).hexdigest()[:8]


def _axis(axis: Any, where: str) -> list[dict[str, Any]]:
    """An axis is a list of mappings (named variants) or a mapping key -> list of values."""
    if isinstance(axis, Mapping):
        keys = list(axis)
        for k in keys:
            if not isinstance(axis[k], list):
                raise GridError(f"{where}.{k}: an axis mapping needs a list of values, got {axis[k]!r}")
        return [dict(zip(keys, vals)) for vals in itertools.product(*(axis[k] for k in keys))]
    if isinstance(axis, list) and all(isinstance(v, Mapping) for v in axis):
        return [dict(v) for v in axis]
    raise GridError(f"{where}: an axis must be a list of mappings or a mapping of lists")


def artefact_points(config: Mapping[str, Any], artefact: str) -> list[dict[str, Any]]:
    """Every grid point of an artefact before canonicalisation: `merged` (defaults, then
    the artefact's `base`, then one entry of each `grid` axis, Cartesian product) and
    `coords` (the axis entries that produced it). Labels of several axes are joined
    with ", " (one axis: its label unchanged)."""
    spec = config["artefacts"][artefact]
    axes = [_axis(a, f"artefacts.{artefact}.grid[{i}]") for i, a in enumerate(spec.get("grid", []))]
    out = []
    for combo in itertools.product(*axes) if axes else [()]:
        merged = dict(config["defaults"])
        if "analyses" in spec:              # the artefact's analyses replace the defaults' list
            merged["analyses"] = spec["analyses"]
        merged.update(spec.get("base", {}))
        coords: dict[str, Any] = {}
        labels = []
        for entry in combo:
            merged.update({k: v for k, v in entry.items() if k != "label"})
            coords.update(entry)
            if entry.get("label"):
                labels.append(str(entry["label"]))
        coords.pop("label", None)
        if labels:
            coords["label"] = ", ".join(labels)
        out.append({"merged": merged, "coords": coords})
    return out


def artefact_settings(config: Mapping[str, Any], artefact: str) -> list[dict[str, Any]]:
    """Every full setting of an artefact: its grid points (`artefact_points`), each
    filtered to what matters for training.

    Each returned dict also carries `coords`: the axis entries that produced it (for
    labelling rows and columns), which is not part of the setting's identity."""
    if not ARTEFACTS[artefact].trained:   # computed from the model classes alone: no run ids
        raise GridError(f"artefacts.{artefact} is computed without training and has no settings")
    out = []
    for point in artefact_points(config, artefact):
        try:
            setting = canonical(point["merged"])
        except SettingError as e:
            raise GridError(f"artefacts.{artefact}: {e}") from None
        out.append({"setting": setting, "coords": point["coords"], "run_id": run_id(setting),
                    "analyses": list(point["merged"].get("analyses", []))})
    return out


def built_artefacts(config: Mapping[str, Any]) -> list[str]:
    """The artefacts this config builds, in config order: those named by `build` (a
    preset's selection; every artefact under `artefacts` when `build` is absent or
    empty, since a preset cannot delete keys config.yaml defines)."""
    configured = list(config["artefacts"])
    chosen = config.get("build") or configured
    unknown = [a for a in chosen if a not in configured]
    if unknown:
        raise GridError(f"build: {', '.join(unknown)} not under artefacts "
                        f"(configured: {', '.join(configured)})")
    return [a for a in configured if a in chosen]


def all_runs(config: Mapping[str, Any], artefacts: Sequence[str]) -> dict[str, dict[str, Any]]:
    """run id -> setting, over the given artefacts (shared settings appear once;
    artefacts that need no training are skipped)."""
    runs: dict[str, dict[str, Any]] = {}
    for art in trained(list(artefacts)):
        for entry in artefact_settings(config, art):
            runs[entry["run_id"]] = entry["setting"]
    return runs
