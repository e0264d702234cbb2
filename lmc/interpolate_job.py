"""The interpolation job behind `scripts/interpolate.py` (rules interpolate and
interpolate_bundle_*): every pair of one setting, or of a bundle's settings, in one
process (the splits are mapped once), each pair's linear path evaluated and written;
start-up and compute time logged apart. Here, not in the script,
so tests can call it."""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from . import arrays, devices, interpolate, io, provenance
from .logs import log
from .runs import setup


def interpolate_job(settings: Sequence[Mapping[str, Any]], weights: Sequence[Sequence[tuple[str, str]]],
                    betons: Mapping[str, str], alphas: Sequence[float], outputs: Sequence[Sequence[str]],
                    device: str = "auto", threads: int = 1, batch_size: int = 2048) -> None:
    """The path between A and B of each pair of each setting (`weights[i][j]`: the a.pt
    and b.pt of setting i's j-th pair) on every split of `betons` (read from convert's
    arrays, once for all), written to `outputs[i][j]`."""
    if [len(w) for w in weights] != [len(o) for o in outputs] or len(settings) != len(weights):
        raise ValueError("one output per pair of weights, one list of both per setting")
    setup(threads)
    with devices.claim_gpu(prefer=device) as dev:
        splits = {name: arrays.read_split(path, dev) for name, path in betons.items()}
        started = time.time()
        log.info("start-up %.1f s (process start to the first evaluated batch)",
                 started - provenance.process_start())
        for setting, pairs, outs in zip(settings, weights, outputs):
            for (a, b), out in zip(pairs, outs):
                path = interpolate.evaluate_path(io.load_weights(a), io.load_weights(b), setting, splits,
                                                 alphas, dev, batch_size)
                io.write_csv(path, out)
    log.info("compute %.1f s: %d pair(s) x %d points on %s", time.time() - started,
             sum(len(o) for o in outputs), len(alphas), ", ".join(splits))
