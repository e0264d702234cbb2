"""The interpolation job behind `scripts/interpolate.py` (rule interpolate): read A, B
and both splits, evaluate the linear path, log start-up and compute time apart. Here,
not in the script, so tests can call it."""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import pandas as pd

from . import beton, devices, interpolate, io, provenance
from .logs import log
from .runs import read_setting, setup


def interpolate_job(setting_json: str, a: str, b: str, betons: Mapping[str, str], alphas: Sequence[float],
                    device: str = "auto", threads: int = 1, batch_size: int = 2048) -> pd.DataFrame:
    setup(threads)
    setting = read_setting(setting_json)
    with devices.claim_gpu(prefer=device) as dev:
        splits = {name: beton.Split.from_beton(path, dev) for name, path in betons.items()}
        wa, wb = io.load_weights(a), io.load_weights(b)
        log.info("start-up %.1f s (process start to the first evaluated batch)",
                 time.time() - provenance.process_start())
        started = time.time()
        path = interpolate.evaluate_path(wa, wb, setting, splits, alphas, dev, batch_size)
    log.info("evaluated %d points on %s in %.1f s", len(alphas), ", ".join(splits), time.time() - started)
    return path
