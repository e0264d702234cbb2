"""A trained pair's files, written the same way by the training and the spawn jobs. Apart
from lmc.jobs.setup, so that the evaluation jobs' code digests do not follow the training
loop's (lmc.util.code)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lmc.train.loop import TrainResult
from lmc.util import io


def write_pair(result: TrainResult, a: int, names: Sequence[str], files: Mapping[str, str],
               seeds: Mapping[str, Any], record: Mapping[str, Any] | None = None) -> None:
    """The files of the pair whose A is member `a` of a training (B is member a + 1), for
    the training and the spawn jobs alike: init (where `files` names it), a, b, metrics
    (its members renamed a and b), seeds with each member's divergence, and `record` as
    provenance (where given)."""
    b = a + 1
    if "init" in files:
        io.save_weights(result.inits[a], files["init"])
    io.save_weights(result.members[a], files["a"])
    io.save_weights(result.members[b], files["b"])
    rows = result.metrics[result.metrics["member"].isin([names[a], names[b]])]
    rows = rows.assign(member=rows["member"].map({names[a]: "a", names[b]: "b"})).reset_index(drop=True)
    io.write_csv(rows, files["metrics"])
    diverged = {"a": result.diverged[a], "b": result.diverged[b]}
    io.write_json({**dict(seeds), "diverged": diverged}, files["seeds"])
    if record is not None:
        io.write_json(record, files["provenance"])
