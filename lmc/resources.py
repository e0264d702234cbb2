"""Cluster resources scaled from a setting (memory for the resident data and stacked
parameters, runtime from the training FLOPs), so SLURM requests fit the job."""
from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from typing import Any

import torch

from . import datasets
from .models import build_model, parameter_count

# Conservative sustained throughput used for runtime requests (a 2-core CPU reaches
# ~2e11 FLOP/s on these models; GPUs far more). Requests err on the long side.
ASSUMED_FLOPS = 1e11


@functools.lru_cache(maxsize=None)
def _count(setting_json: str) -> int:
    setting = json.loads(setting_json)
    meta = datasets.info(setting["dataset"])
    # On the meta device: shapes only, nothing allocated or initialised (the 25M-parameter
    # MLP twin of Table 3 would otherwise cost seconds per setting in every dry run).
    with torch.device("meta"):
        return parameter_count(build_model(setting, meta.shape, meta.classes))


def parameters(setting: Mapping[str, Any]) -> int:
    """Parameter count of the network a setting describes (one member)."""
    return _count(json.dumps(dict(setting), sort_keys=True))


def _sizes(setting: Mapping[str, Any]) -> tuple[int, int, int]:
    meta = datasets.info(setting["dataset"])
    params = parameters(setting)
    pixels = meta.shape[0] * meta.shape[1] * meta.shape[2]
    return params, pixels * (meta.n_train + meta.n_test), meta.n_train


def train_mem_mb(setting: Mapping[str, Any], members: int = 2) -> int:
    params, data_bytes, _ = _sizes(setting)
    # data resident once + params, grads, 2 optimiser slots per member + activations headroom
    need = data_bytes + members * params * 4 * 4 + 512 * 2**20
    return int(math.ceil((need * 1.5 + 1.5 * 2**30) / 2**20))


def train_runtime_min(setting: Mapping[str, Any], members: int = 2) -> int:
    params, _, n_train = _sizes(setting)
    flops = 6 * params * n_train * setting["epochs"] * members
    return int(max(10, math.ceil(3 * flops / ASSUMED_FLOPS / 60)))


def eval_mem_mb(setting: Mapping[str, Any], points: int = 11) -> int:
    params, data_bytes, _ = _sizes(setting)
    return int(math.ceil((data_bytes + points * params * 4 * 2 + 1.5 * 2**30) / 2**20))


def eval_runtime_min(setting: Mapping[str, Any], points: int = 11) -> int:
    params, _, n_train = _sizes(setting)
    meta = datasets.info(setting["dataset"])
    flops = 2 * params * (n_train + meta.n_test) * points
    return int(max(5, math.ceil(3 * flops / ASSUMED_FLOPS / 60)))
