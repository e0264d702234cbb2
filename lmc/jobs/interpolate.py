"""The interpolation job behind `scripts/interpolate.py` (rules interpolate and
interpolate_bundle_*): every pair of one setting, or of a bundle's settings, in one
process (the splits are mapped once), each pair's linear path evaluated and written;
start-up and compute time logged apart. Here, not in the script,
so tests can call it."""
from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from lmc.evaluate import interpolate
from lmc.jobs.setup import on_device
from lmc.util import io, provenance
from lmc.util.logs import log


def _paths(settings: Sequence[Mapping[str, Any]], weights: Sequence[Sequence[tuple[str, str]]],
           betons: Mapping[str, str], alphas: Sequence[float], device: str, threads: int,
           batch_size: int) -> Iterator[tuple[int, int, pd.DataFrame]]:
    """(i, j, path) for the j-th (a.pt, b.pt) of setting i, the splits of `betons` read
    once (from convert's arrays); start-up and compute logged apart."""
    with on_device(threads, device, betons) as (dev, splits):
        started = time.time()
        log.info("start-up %.1f s (process start to the first evaluated batch)",
                 started - provenance.process_start())
        for i, (setting, pairs) in enumerate(zip(settings, weights)):
            for j, (a, b) in enumerate(pairs):
                yield i, j, interpolate.evaluate_path(io.load_weights(a), io.load_weights(b), setting, splits,
                                                      alphas, dev, batch_size)
    log.info("compute %.1f s: %d pair(s) x %d points on %s", time.time() - started,
             sum(len(w) for w in weights), len(alphas), ", ".join(splits))


def evaluate_paths(setting: Mapping[str, Any], betons: Mapping[str, str], ends: Sequence[tuple[str, str]],
                   alphas: Sequence[float], device: str = "auto", threads: int = 1,
                   batch_size: int = 2048) -> list[pd.DataFrame]:
    """The path of every (A, B) weight-file pair in `ends` of one setting, in order."""
    return [path for _, _, path in _paths([setting], [ends], betons, alphas, device, threads, batch_size)]


def interpolate_job(settings: Sequence[Mapping[str, Any]], weights: Sequence[Sequence[tuple[str, str]]],
                    betons: Mapping[str, str], alphas: Sequence[float], outputs: Sequence[Sequence[str]],
                    device: str = "auto", threads: int = 1, batch_size: int = 2048) -> None:
    """The path between A and B of each pair of each setting (`weights[i][j]`: the a.pt
    and b.pt of setting i's j-th pair) on every split of `betons` (read from convert's
    arrays, once for all), written to `outputs[i][j]` as soon as it is computed."""
    if [len(w) for w in weights] != [len(o) for o in outputs] or len(settings) != len(weights):
        raise ValueError("one output per pair of weights, one list of both per setting")
    for i, j, path in _paths(settings, weights, betons, alphas, device, threads, batch_size):
        io.write_csv(path, outputs[i][j])
