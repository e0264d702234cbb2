"""A training's state on disk: checkpoints a killed job resumes from (byte-identical on
CPU), states that cannot be used moved aside, and the full state (parameters, optimiser,
step) the training dynamics continue from."""
from __future__ import annotations

import copy
import os
import sys
from collections.abc import Mapping
from typing import Any

import torch

from lmc.train.members import Members
from lmc.util import io
from lmc.util.logs import log


def resume(state_path: str | None, key: Mapping[str, Any], group: Members,
           optimizer: torch.optim.Optimizer) -> tuple[int, list[dict[str, Any]], list[bool]]:
    """Load the checkpointed state into the members' parameters and `optimizer` if
    `state_path` exists; returns (start epoch, metric rows so far, diverged flags)."""
    members = len(group)
    if not (state_path and os.path.exists(state_path)):
        return 0, [], [False] * members
    try:
        state = io.load_state(state_path)
    except io.CorruptFileError as e:
        # a state cut short (disk full, a kill mid-rename on a non-POSIX filesystem) must not
        # wedge every later run: keep it for inspection and start the training over
        return _set_aside(state_path, ".corrupt", str(e).split("; ")[0], members)
    if state["key"] != key:
        # left by a job of another packing or pair count (pairs: 2 -> 3): not this job's
        # state, and blocking every re-run until deleted by hand helps nobody
        return _set_aside(state_path, ".stale", f"{state_path}: the state of another job (other settings, "
                          "pairs or seeds)", members)
    group.load(state["params"])
    optimizer.load_state_dict(state["optimizer"])
    log.info("resumed from %s at epoch %d", state_path, state["epoch"])
    return state["epoch"], state["rows"], state["diverged"]


def _set_aside(state_path: str, suffix: str, why: str, members: int) -> tuple[int, list, list[bool]]:
    """Move an unusable state file aside (kept for inspection), say so, start at epoch 0."""
    aside = f"{state_path}{suffix}"
    os.replace(state_path, aside)
    log.warning("%s; moved it to %s (nothing deleted), training starts from epoch 0", why, aside)
    return 0, [], [False] * members


def checkpoint(state_path: str, key: Mapping[str, Any], epoch: int, rows: list[dict[str, Any]],
               diverged: list[bool], params: Mapping[str, torch.Tensor],
               optimizer: torch.optim.Optimizer) -> None:
    """Atomically save everything a resumed run needs after `epoch` epochs."""
    io.save_state({"key": key, "epoch": epoch, "rows": rows, "diverged": diverged,
                   "params": {k: v.detach().cpu() for k, v in params.items()},
                   "optimizer": optimizer.state_dict()}, state_path)


def full_state(params: Mapping[str, torch.Tensor], optimizer: torch.optim.Optimizer,
               step: int) -> dict[str, Any]:
    """A copy (CPU) of everything training continues from after `step` steps: the stacked
    parameters [members, ...], the optimiser's state (its tensors stacked the same way)
    and the global step, which fixes the learning-rate schedule's position."""
    opt = optimizer.state_dict()
    # interned keys: pickle shares equal strings by identity, and the keys of a state loaded
    # from a checkpoint are other objects; same state, same bytes either way
    state = {i: {sys.intern(n): v.detach().cpu().clone() if torch.is_tensor(v) else copy.deepcopy(v)
                 for n, v in s.items()} for i, s in opt["state"].items()}
    groups = [{sys.intern(k): copy.deepcopy(v) for k, v in g.items()} for g in opt["param_groups"]]
    return {"step": int(step), "params": {k: v.detach().cpu().clone() for k, v in params.items()},
            "optimizer": {"state": state, "param_groups": groups}}
