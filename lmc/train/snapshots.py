"""Barrier along training: A and B of a pair save their weights after configured epochs
(`snapshot_epochs`); every snapshot pair (A_t, B_t) is interpolated and its barriers are
summarised per epoch (lmc.aggregate.dynamics_barriers.summaries). Imported by the training job, so
it imports no barrier code (lmc.util.code digests: a barrier edit must not re-run training).

Files a job writes while it trains (snapshots, a trunk's states) are *staged* beside their
final path and renamed into place when the job ends: Snakemake deletes the outputs of an
unfinished job before running it again, and a job resumed from its checkpoint does not
pass the earlier epochs again, so it needs those files where Snakemake leaves them."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

import torch

from lmc.util import io
from lmc.util.logs import log


def staged(path: str | os.PathLike) -> str:
    """Where a job keeps an output it wrote while training, until it ends."""
    return f"{path}.staged"


def publish(paths: Iterable[str | os.PathLike]) -> None:
    """Move every staged file to its final path (the job's outputs)."""
    for p in paths:
        os.replace(staged(p), p)


def keep_checkpoint_if_complete(state_path: str | os.PathLike, written: Sequence[tuple[float, str]]) -> None:
    """Delete the resumable state at `state_path` if a file that the epochs it covers
    should have staged is missing (`written`: (epochs after which it exists, final path)),
    e.g. after snapshot epochs or spawn points were added: the job then starts over."""
    if not (written and os.path.exists(state_path)):
        return
    try:
        epoch = io.load_state(state_path)["epoch"]
    except io.CorruptFileError:
        return  # lmc.train.checkpoints.resume moves it aside
    missing = [p for when, p in written if when <= epoch and not os.path.exists(staged(p))]
    if missing:
        log.warning(
            "%s covers epoch %d but %s is not staged; training starts over", state_path, epoch, missing[0]
        )
        os.unlink(state_path)


class SnapshotFiles:
    """The snapshot outputs of one training job: epoch -> one path per member (None: that
    member takes no snapshots, e.g. a setting of a bundle that is not in the artefact)."""

    def __init__(self, paths: Mapping[int, Sequence[str | None]]):
        self.paths = {int(t): list(p) for t, p in paths.items() if any(x is not None for x in p)}

    def written(self) -> list[tuple[float, str]]:
        return [(t, p) for t, ps in self.paths.items() for p in ps if p is not None]

    def save(self, epoch: int, members: Sequence[Mapping[str, torch.Tensor]]) -> None:
        for path, weights in zip(self.paths[epoch], members):
            if path is not None:
                io.save_weights(weights, staged(path))

    def finish(self, final: Sequence[Mapping[str, torch.Tensor]]) -> None:
        """Publish every snapshot. Epochs training never reached (every member diverged,
        so training stopped) get the final weights, which no later epoch would change."""
        for epoch, paths in self.paths.items():
            paths_taken = [p for p in paths if p is not None]
            if not all(os.path.exists(staged(p)) for p in paths_taken):
                log.warning("training stopped before epoch %d: its snapshot is the final state", epoch)
                self.save(epoch, final)
            publish(paths_taken)
