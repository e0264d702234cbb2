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
import json
from collections.abc import Mapping, Sequence
from typing import Any

from .artefacts import ARTEFACTS, trained

COMMON_KEYS = ("dataset", "model", "init", "init_scale", "optimizer", "lr", "batch_size", "epochs",
               "warmup_fraction", "schedule", "weight_decay", "augment", "seed")
MODEL_KEYS = {
    "linear": ("depth", "width"),
    "mlp": ("depth", "width", "slope"),
    "lcn": ("channels", "kernel"),
    "cnn": ("channels", "kernel"),
    "vit": ("patch", "heads", "head_dim"),
}
OPTIMIZER_KEYS = {"sgd": ("momentum",), "adam": ("adam_betas",)}
# Analyses beyond the paper an artefact can switch on (`analyses:`; rules/analyses.smk).
ANALYSES = ("align", "layerwise", "plane", "derivatives")
# Always floats in the canonical setting (so 1 and 1.0 give one run id).
FLOAT_KEYS = ("lr", "slope", "weight_decay", "warmup_fraction", "momentum", "init_scale")


# Setting keys the settings of one bundle (one training job, `bundle: N`) may differ in;
# they agree on every other key: dataset, architecture, batch size, epochs, optimiser
# family, augmentation (lmc.members trains them together).
PER_MEMBER_KEYS = ("lr", "warmup_fraction", "schedule", "momentum", "adam_betas", "weight_decay", "slope",
                   "init", "init_scale", "seed")


class GridError(ValueError):
    """A config error in an artefact's grid; the message names the key."""


def canonical(setting: Mapping[str, Any]) -> dict[str, Any]:
    """The training-relevant part of a setting, with numbers in one canonical type."""
    model, opt = setting.get("model"), setting.get("optimizer")
    if model not in MODEL_KEYS:
        raise GridError(f"unknown model {model!r}; known: {', '.join(MODEL_KEYS)}")
    if opt not in OPTIMIZER_KEYS:
        raise GridError(f"unknown optimizer {opt!r}; known: {', '.join(OPTIMIZER_KEYS)}")
    keys = COMMON_KEYS + MODEL_KEYS[model] + OPTIMIZER_KEYS[opt]
    missing = [k for k in keys if k not in setting]
    if missing:
        raise GridError(f"setting lacks {', '.join(missing)} (add them under defaults: in the config)")
    out: dict[str, Any] = {}
    for k in keys:
        v = setting[k]
        if isinstance(v, float) and v.is_integer() and k not in FLOAT_KEYS:
            v = int(v)
        if isinstance(v, (list, tuple)):
            v = [float(x) for x in v]
        elif k in FLOAT_KEYS:
            v = float(v)
        out[k] = v
    # Independent initialisations (one init seed per member) are a setting key only when
    # switched on, so the run ids (and seeds) of every shared-init setting stay as they were.
    if not setting.get("shared_init", True):
        out["shared_init"] = False
    return out


def canonical_json(setting: Mapping[str, Any]) -> str:
    return json.dumps(canonical(setting), sort_keys=True, separators=(",", ":"))


def run_id(setting: Mapping[str, Any]) -> str:
    """Short content hash of the canonical setting (12 hex digits)."""
    return hashlib.sha256(canonical_json(setting).encode()).hexdigest()[:12]


def pair_seeds(setting: Mapping[str, Any], pair: int) -> dict[str, int]:
    """Seeds of pair `pair`: one init shared by A and B, distinct data-order (and
    augmentation) seeds. Derived from the setting and `pair` only, so they are stable.
    With `shared_init: false` B also gets its own init seed, `init_seed_b` (A keeps
    `init_seed`)."""
    def draw(role: str) -> int:
        digest = hashlib.sha256(f"{canonical_json(setting)}|pair{pair}|{role}".encode()).digest()
        return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF

    seeds = {"init_seed": draw("init"), "order_seed_a": draw("order_a"), "order_seed_b": draw("order_b")}
    if seeds["order_seed_a"] == seeds["order_seed_b"]:   # astronomically unlikely, but A != B is the point
        seeds["order_seed_b"] = (seeds["order_seed_b"] + 1) & 0x7FFFFFFF
    if not canonical(setting).get("shared_init", True):
        seeds["init_seed_b"] = draw("init_b")
        if seeds["init_seed_b"] == seeds["init_seed"]:
            seeds["init_seed_b"] = (seeds["init_seed_b"] + 1) & 0x7FFFFFFF
    return seeds


def pair_chunks(pairs: int, pairs_per_job: int | str) -> list[list[int]]:
    """The pair indices each training job of a setting takes: all in one job
    (`pairs_per_job: all`, or a number >= pairs) or consecutive chunks of that size."""
    if pairs_per_job == "all":
        return [list(range(pairs))]
    if isinstance(pairs_per_job, bool) or not isinstance(pairs_per_job, int) or pairs_per_job < 1:
        raise GridError(f"pairs_per_job: {pairs_per_job!r} is not 'all' or a number of pairs >= 1")
    return [list(range(lo, min(lo + pairs_per_job, pairs))) for lo in range(0, pairs, pairs_per_job)]


def bundle_signature(setting: Mapping[str, Any]) -> tuple:
    """What settings trained in one job must share. A slope of exactly 1 skips the
    activation altogether (a linear network), so it is part of the architecture."""
    shared = tuple(sorted((k, repr(v)) for k, v in setting.items() if k not in PER_MEMBER_KEYS))
    return shared + (("linear_activation", setting.get("slope") == 1.0),)


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
        except GridError as e:
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
