"""Cluster resources of a job (one setting, or a bundle of settings, with its pairs):
memory for the resident data and the stacked members, runtime from the FLOPs `lmc.config.cost`
counts (the same count the reproduction guide's estimates use), so SLURM requests fit
the job."""
from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from lmc.config import cost
from lmc.data import datasets
from lmc.nn.models import build_model, parameter_count

# Conservative sustained throughput used for runtime requests (a 2-core CPU reaches
# ~2e11 FLOP/s on these models; GPUs far more), a safety factor on top, and the job's
# start-up: requests err on the long side, since a job that outlives its request is lost.
ASSUMED_FLOPS = 1e11
SAFETY = 3
STARTUP_MIN = 2


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


def _data_bytes(settings: Sequence[Mapping[str, Any]]) -> int:
    meta = datasets.info(settings[0]["dataset"])     # a job's settings share their dataset
    c, h, w = meta.shape
    return c * h * w * (meta.n_train + meta.n_test)


def _minutes(flops: float, floor: int) -> int:
    return int(max(floor, math.ceil(SAFETY * flops / ASSUMED_FLOPS / 60) + STARTUP_MIN))


def train_mem_mb(settings: Sequence[Mapping[str, Any]], pairs: int = 1) -> int:
    """Data resident once (and its float32 normalised copy) + params, grads and two
    optimiser slots per member + headroom for activations."""
    members = 2 * pairs * sum(parameters(s) for s in settings)
    need = 5 * _data_bytes(settings) + members * 4 * 4 + 512 * 2**20
    return int(math.ceil((need * 1.5 + 1.5 * 2**30) / 2**20))


def train_runtime_min(settings: Sequence[Mapping[str, Any]], pairs: int = 1) -> int:
    flops = sum(cost.setting_cost(s, pairs, points=0)["train_flops"] for s in settings)
    return _minutes(flops, 10)


def eval_mem_mb(settings: Sequence[Mapping[str, Any]], points: int = 11) -> int:
    params = max(parameters(s) for s in settings)      # one path at a time
    return int(math.ceil((_data_bytes(settings) + points * params * 4 * 2 + 1.5 * 2**30) / 2**20))


def eval_runtime_min(settings: Sequence[Mapping[str, Any]], points: int = 11, pairs: int = 1) -> int:
    flops = sum(cost.setting_cost(s, pairs, points)["eval_flops"] for s in settings)
    return _minutes(flops, 5)


def analysis_runtime_min(settings: Sequence[Mapping[str, Any]], analysis: str, pairs: int,
                         config: Mapping[str, Any]) -> int:
    """Minutes for one job running `analysis` over `pairs` pairs of every setting (lmc.config.cost)."""
    return _minutes(sum(cost.analysis_cost(s, analysis, pairs, config) for s in settings), 5)
