"""The jobs of the analyses beyond the paper (rules/analyses.smk), one process per
artefact (align, layerwise, derivatives) or setting (plane) and analysis, every pair of
every setting in turn (the splits are decoded once):

- `per_setting`: a job's flat per-pair file list cut into (setting, pairs);
- `align_job`: B permuted to match A (weight or activation matching); per pair the
  permutation (JSON, with the method and seed), the aligned B and the linear path from A
  to it (same α grid);
- `layerwise_job`: the layer-wise networks (lmc.analyses.layerwise) on train and test;
- `plane_job`: the plane through Θ₀, A and B (lmc.analyses.plane);
- `derivatives_job`: ℓ, ℓ′, ℓ″ along the path and each layer's, on the train split, every
  pair of a setting in one batched pass (lmc.analyses.barrier_prediction.pair_records); also at
  every snapshot epoch and spawn point (lmc.analyses.geometry_over_training).

Here, not in the scripts, so tests can call them."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lmc.analyses import alignment, barrier_prediction, layerwise, plane
from lmc.data import resident
from lmc.evaluate import interpolate
from lmc.jobs.setup import on_device
from lmc.nn.stacked import unstack
from lmc.util import io, provenance
from lmc.util.logs import log

Settings = Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, str]]]]


def per_setting(settings: Sequence[Mapping[str, Any]], files: Sequence[Mapping[str, str]],
                pairs: int) -> list[tuple[Mapping[str, Any], Sequence[Mapping[str, str]]]]:
    """(setting, its pairs' files) from a job's flat per-pair file list, setting by setting
    (the order rules/analyses.smk writes its inputs and outputs in)."""
    if len(files) != len(settings) * pairs:
        raise ValueError(f"{len(files)} pair files for {len(settings)} setting(s) x {pairs} pair(s)")
    return [(setting, files[i * pairs:(i + 1) * pairs]) for i, setting in enumerate(settings)]


PairWork = Callable[[Mapping[str, Any], Mapping[str, str], Mapping[str, resident.Split], Any], None]


def _each_pair(name: str, settings: Settings, betons: Mapping[str, str] | None, device: str, threads: int,
               work: PairWork) -> None:
    """Set up, read the splits once (when `betons` is given), then `work(setting, pair
    files, splits, device)` for every pair of every (setting, pairs); log start-up and
    compute time apart."""
    with on_device(threads, device, betons or {}) as (dev, splits):
        log.info("start-up %.1f s (process start to the first pair)",
                 time.time() - provenance.process_start())
        started = time.time()
        for setting, pairs in settings:
            for files in pairs:
                work(setting, files, splits, dev)
                log.info("%s: %s done", name, files.get("a", ""))
    log.info("%s: %d pair(s) of %d setting(s) in %.1f s", name, sum(len(p) for _, p in settings),
             len(settings), time.time() - started)


def align_job(settings: Settings, method: str, seed: int, max_sweeps: int, alphas: Sequence[float],
              betons: Mapping[str, str], device: str = "auto", threads: int = 1,
              batch_size: int = 2048) -> None:
    """settings: (setting, pairs) with pairs {a, b, permutation (json out), aligned (pt
    out), path (csv out)}."""
    def work(setting, f, splits, dev):
        a, b = io.load_weights(f["a"]), io.load_weights(f["b"])
        record: dict[str, Any] = {"method": method}
        if method == "weight":
            perms, sweeps = alignment.weight_matching(setting, a, b, seed, max_sweeps)
            record.update({"seed": int(seed), "sweeps": sweeps, "converged": sweeps < max_sweeps})
        elif method == "activation":
            from lmc.analyses.activation_matching import activation_matching

            perms = activation_matching(setting, a, b, splits["train"], dev, batch_size)
            record["samples"] = len(splits["train"])
        else:
            raise ValueError(f"unknown alignment method {method!r}")
        record["permutation"] = alignment.perms_json(perms)
        aligned = alignment.permute(setting, b, perms)
        io.write_json(record, f["permutation"])
        io.save_weights(aligned, f["aligned"])
        path = interpolate.evaluate_path(a, aligned, setting, splits, alphas, dev, batch_size)
        io.write_csv(path, f["path"])

    _each_pair("align", settings, betons, device, threads, work)


def layerwise_job(settings: Settings, betons: Mapping[str, str], device: str = "auto", threads: int = 1,
                  batch_size: int = 2048) -> None:
    """settings: (setting, pairs) with pairs {a, b, layerwise (csv out)}."""
    def work(setting, f, splits, dev):
        a, b = io.load_weights(f["a"]), io.load_weights(f["b"])
        frame = layerwise.evaluate_layerwise(setting, a, b, splits, dev, batch_size)
        io.write_csv(frame, f["layerwise"])

    _each_pair("layerwise", settings, betons, device, threads, work)


def plane_job(setting: Mapping[str, Any], pairs: Sequence[Mapping[str, str]], betons: Mapping[str, str],
              shape: Sequence[int], margin: float, device: str = "auto", threads: int = 1,
              batch_size: int = 2048) -> None:
    """pairs: {init, a, b, plane (csv out), anchors (json out)} per pair."""
    def work(setting, f, splits, dev):
        frame, meta = plane.evaluate_plane(setting, io.load_weights(f["init"]), io.load_weights(f["a"]),
                                           io.load_weights(f["b"]), splits, dev, shape, margin, batch_size)
        io.write_csv(frame, f["plane"])
        io.write_json(meta, f["anchors"])

    _each_pair("plane", [(setting, pairs)], betons, device, threads, work)


def _reference(files: Mapping[str, str], trunks: dict[str, Any]) -> dict[str, Any]:
    """The point a pair left: Θ₀ (`init`, a weights file) or its trunk's parameters at a
    spawn point (`trunk`, the stacked state of every pair's trunk, and `pair`); the last
    trunk read is kept, as a spawn point's pairs come together."""
    if "trunk" not in files:
        return io.load_weights(files["init"])
    path = files["trunk"]
    if path not in trunks:
        trunks.clear()
        trunks[path] = io.load_state(path)
    state = trunks[path]
    return unstack(state["params"], list(state["pairs"]).index(int(files["pair"])))


def derivatives_job(settings: Settings, train_beton: str, device: str = "auto", threads: int = 1,
                    batch_size: int = 2048, samples: int | str = "all") -> None:
    """settings: (setting, pairs) with pairs {a, b, derivatives (json out)} and the point
    they left: {init} (Θ₀) or {trunk, pair} (a spawn point's trunk); one process for all
    of them (the split read once), each (setting, pairs) in one batched pass (vmap); on the
    train split's first `samples` samples (or all of them). The same (setting, pairs) may
    come once per snapshot epoch or spawn point (geometry along training)."""
    with on_device(threads, device, {"train": train_beton}) as (dev, splits):
        split = splits["train"]
        if samples != "all":
            split = resident.Split(split.images[:samples], split.labels[:samples])
        log.info("start-up %.1f s (process start to the first pair)",
                 time.time() - provenance.process_start())
        started, trunks = time.time(), {}
        for setting, pairs in settings:
            reference = [_reference(f, trunks) for f in pairs]
            a, b = ([io.load_weights(f[k]) for f in pairs] for k in ("a", "b"))
            records = barrier_prediction.pair_records(setting, reference, a, b, split, dev, batch_size)
            for files, record in zip(pairs, records, strict=True):
                record["reference"] = "trunk" if "trunk" in files else "init"
                io.write_json(record, files["derivatives"])
            log.info("derivatives: %d pair(s) of %s done", len(pairs), pairs[0]["a"])
    log.info("derivatives: %d group(s) in %.1f s", len(settings), time.time() - started)
