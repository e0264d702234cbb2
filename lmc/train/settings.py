"""What a setting is to training, without torch (the config layer reads it at parse
time): the keys that decide a training and their canonical form, the content-addressed
run id, the seeds of each pair, what the settings trained in one job must share, and the
steps of an epoch and of a spawn point."""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from lmc.data import datasets

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
# Always floats in the canonical setting (so 1 and 1.0 give one run id).
FLOAT_KEYS = ("lr", "slope", "weight_decay", "warmup_fraction", "momentum", "init_scale")


# Setting keys the settings of one bundle (one training job, `bundle: N`) may differ in;
# they agree on every other key: dataset, architecture, batch size, epochs, optimiser
# family, augmentation (lmc.train.members trains them together).
PER_MEMBER_KEYS = ("lr", "warmup_fraction", "schedule", "momentum", "adam_betas", "weight_decay", "slope",
                   "init", "init_scale", "seed")


class SettingError(ValueError):
    """A setting that lacks a key or names an unknown model or optimiser."""


def canonical(setting: Mapping[str, Any]) -> dict[str, Any]:
    """The training-relevant part of a setting, with numbers in one canonical type."""
    model, opt = setting.get("model"), setting.get("optimizer")
    if model not in MODEL_KEYS:
        raise SettingError(f"unknown model {model!r}; known: {', '.join(MODEL_KEYS)}")
    if opt not in OPTIMIZER_KEYS:
        raise SettingError(f"unknown optimizer {opt!r}; known: {', '.join(OPTIMIZER_KEYS)}")
    keys = COMMON_KEYS + MODEL_KEYS[model] + OPTIMIZER_KEYS[opt]
    missing = [k for k in keys if k not in setting]
    if missing:
        raise SettingError(f"setting lacks {', '.join(missing)} (add them under defaults: in the config)")
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


def bundle_signature(setting: Mapping[str, Any]) -> tuple:
    """What settings trained in one job must share. A slope of exactly 1 skips the
    activation altogether (a linear network), so it is part of the architecture."""
    shared = tuple(sorted((k, repr(v)) for k, v in setting.items() if k not in PER_MEMBER_KEYS))
    return shared + (("linear_activation", setting.get("slope") == 1.0),)


def steps_per_epoch(setting: Mapping[str, Any], n_train: int | None = None) -> int:
    """Optimisation steps per epoch on `n_train` images (default: the dataset's size)."""
    n = datasets.info(setting["dataset"]).n_train if n_train is None else n_train
    return math.ceil(n / setting["batch_size"])


def point_step(unit: str, point: float, per_epoch: int) -> int:
    """The global step of a spawn point: after `point` epochs of `per_epoch` steps
    (rounded) or after `point` steps."""
    return int(round(float(point) * per_epoch)) if unit == "epochs" else int(point)
