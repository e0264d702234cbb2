"""Optimisers, warm-up, and the paired training loop.

`train_members` trains any number of members of one setting, each from its own
initial state (a pair's A and B share one) and with its own data order, as one batched
computation (`lmc.nn.stacked`). A pair is two members (A and B). Every random draw comes from a seed
passed in: the initialisation from `init_seed`, each member's epoch order from
`order_seed + epoch` (exactly FFCV's RANDOM order, on either data path).

Training state (parameters, optimiser, epoch, metrics so far) is checkpointed
atomically every `checkpoint_every` epochs; a killed job resumes from it and, on CPU,
finishes with byte-identical results (nothing else carries state between epochs).

For the training dynamics (lmc.train.spawn, lmc.train.snapshots) the loop can also start from a saved
optimiser state at a global step (`start`), hand out the full state after given steps
(`save_at_steps`, `on_state`), stop early (`stop_at_step`) and hand out every member's
parameters after given epochs (`snapshot_epochs`, `on_snapshot`). Left at their defaults
they change nothing.
"""
from __future__ import annotations

import copy
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from lmc.data import beton, sources
from lmc.nn import stacked
from lmc.nn.models import build_model
from lmc.train.members import Members
from lmc.util import io
from lmc.util.logs import Progress, log

MEMBER_NAMES = "ab"


@dataclass
class TrainResult:
    inits: list[dict[str, torch.Tensor]]       # each member's initial state
    members: list[dict[str, torch.Tensor]]
    metrics: pd.DataFrame
    diverged: list[bool] = field(default_factory=list)
    compute_started: float = math.nan      # time.time() when the first epoch began


def initial_state(setting: Mapping[str, Any], init_seed: int) -> dict[str, torch.Tensor]:
    """Θ_0 drawn on the CPU from `init_seed` alone (device-independent bytes)."""
    meta = sources.info(setting["dataset"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        model = build_model(setting, meta.shape, meta.classes)
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def learning_rate(setting: Mapping[str, Any], step: int, total_steps: int) -> float:
    """Linear warm-up over `warmup_fraction` of training (paper: 10 of 200 epochs),
    then constant or cosine decay."""
    lr = setting["lr"]
    warm = int(round(setting["warmup_fraction"] * total_steps))
    if step < warm:
        return lr * (step + 1) / warm
    if setting["schedule"] == "cosine":
        progress = (step - warm) / max(1, total_steps - warm)
        return lr * 0.5 * (1.0 + math.cos(math.pi * progress))
    return lr


# A resident train split is normalised once per `train_members` call (float32 on the
# device) when that copy fits in this many bytes; batches are then plain row gathers of
# it. Larger splits are normalised batch by batch. Both give bit-identical inputs: the
# normalisation is the same element-wise function either way.
PRENORMALISE_MAX_BYTES = 2 << 30


def _prenormalised(train: beton.Split, normalise, chunk: int = 2048) -> torch.Tensor | None:
    """The whole split normalised (float32, on its device), or None if it is too big.
    Filled chunk by chunk into one buffer: small chunks stay in cache."""
    if train.images.numel() * 4 > PRENORMALISE_MAX_BYTES:
        return None
    out = torch.empty(train.images.shape, dtype=torch.float32, device=train.images.device)
    for i in range(0, len(train), chunk):
        normalise(train.images[i:i + chunk], out=out[i:i + chunk])
    return out


class ResidentBatches:
    """Batches gathered from the resident train split, each member in its own
    `beton.epoch_order` (FFCV's RANDOM order). The split is normalised once if that copy
    fits in `PRENORMALISE_MAX_BYTES`, else batch by batch."""

    def __init__(self, train: beton.Split, order_seeds: Sequence[int], batch_size: int, normalise,
                 device: torch.device | str):
        self.train, self.order_seeds, self.batch_size = train, list(order_seeds), batch_size
        self.normalise, self.device = normalise, device
        self.inputs = _prenormalised(train, normalise)
        # One input buffer reused by every step (a step is finished, backward included,
        # before the next gather overwrites it; autograd's version counter would catch
        # any misuse). Saves allocating and faulting in a fresh batch each step.
        self.buffer = None if self.inputs is None else self.inputs.new_empty(
            (len(self.order_seeds) * min(batch_size, len(train)), *self.inputs.shape[1:]))

    def epoch(self, epoch: int):
        """Yield (x float32 normalised [M, b, C, H, W], y [M, b]), members in lockstep."""
        n, bs = len(self.train), self.batch_size
        orders = torch.from_numpy(np.stack([beton.epoch_order(s, epoch, n)
                                            for s in self.order_seeds])).to(self.device)
        for start in range(0, n, bs):
            idx = orders[:, start:start + bs]
            if self.inputs is None:
                x = self.normalise(self.train.images[idx])
            else:
                x = torch.index_select(self.inputs, 0, idx.reshape(-1), out=self.buffer[:idx.numel()])
                x = x.view(*idx.shape, *self.inputs.shape[1:])
            yield x, self.train.labels[idx]


class FFCVBatches:
    """Batches read by one FFCV Loader per member, built once and reused every epoch
    (a Loader compiles its pipeline on first use, ~0.5 s; later epochs reuse the code).
    Keeps torch's CPU thread count as it was when built (see `beton.keep_torch_threads`)."""

    def __init__(self, path: str | os.PathLike, order_seeds: Sequence[int], batch_size: int, normalise,
                 device: torch.device | str):
        self.normalise, self.device = normalise, device
        with beton.keep_torch_threads() as self.threads:
            self.loaders = [beton.ffcv_loader(path, batch_size, seed=s) for s in order_seeds]

    def epoch(self, epoch: int):
        """Yield (x float32 normalised [M, b, C, H, W], y [M, b]), members in lockstep."""
        for loader in self.loaders:
            loader.next_epoch = epoch       # FFCV's order is default_rng(seed + next_epoch)
        for i, batches in enumerate(zip(*self.loaders)):
            if i == 0:
                # every Loader's epoch thread has set torch's threads to 1 before its first batch
                torch.set_num_threads(self.threads)
            xs = torch.stack([b[0] for b in batches]).to(self.device)
            ys = torch.stack([b[1].reshape(-1) for b in batches]).to(self.device).long()
            yield self.normalise(xs), ys


def _resume(state_path: str | None, key: Mapping[str, Any], group: Members,
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


def _checkpoint(state_path: str, key: Mapping[str, Any], epoch: int, rows: list[dict[str, Any]],
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


def train_members(setting: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                  init: Mapping[str, torch.Tensor] | Sequence[Mapping[str, torch.Tensor]],
                  order_seeds: Sequence[int],
                  train: beton.Split, test: beton.Split, device: torch.device | str, *,
                  data_path: str = "resident", train_beton: str | None = None,
                  state_path: str | None = None, checkpoint_every: int = 0,
                  on_epoch: Callable[[int], None] | None = None,
                  names: Sequence[str] | None = None,
                  start: Mapping[str, Any] | None = None, stop_at_step: int | None = None,
                  save_at_steps: Sequence[int] = (), on_state: Callable[[int, dict], None] | None = None,
                  snapshot_epochs: Sequence[int] = (),
                  on_snapshot: Callable[[int, list[dict]], None] | None = None) -> TrainResult:
    """Train len(order_seeds) members of `setting` (or of one setting per member: a
    bundle, `lmc.train.members`) from `init` (one state shared by all, or one per member);
    returns their final weights and per-epoch metrics (one row per epoch and member,
    named by `names`: a, b, 2, ... unless given; an epoch entered or left part-way
    averages over the batches it trained).

    `start` ({"step", "optimizer"}, e.g. from `full_state`) continues training at that
    global step with that optimiser state, the parameters being `init`: the schedule and
    warm-up go on where they were and the total number of steps is an unspawned run's.
    `on_state(step, full_state)` is called when `step` (in `save_at_steps`) steps are done;
    training ends once `stop_at_step` steps are done. `on_snapshot(epoch, members' weights)`
    is called after each epoch in `snapshot_epochs`."""
    if data_path not in ("resident", "ffcv"):
        raise ValueError(f"data_path must be 'resident' or 'ffcv', got {data_path!r}")
    if data_path == "ffcv" and train_beton is None:
        raise ValueError("data_path 'ffcv' needs train_beton")
    members = len(order_seeds)
    settings = [dict(setting)] * members if isinstance(setting, Mapping) else [dict(s) for s in setting]
    inits = [dict(init)] * members if isinstance(init, Mapping) else [dict(i) for i in init]
    group = Members(settings, inits, device)
    setting = settings[0]                 # what every member shares (architecture, data, steps)
    meta = sources.info(setting["dataset"])
    epochs, bs = setting["epochs"], setting["batch_size"]
    names = list(names) if names is not None else [_member_name(m) for m in range(members)]
    model = build_model(setting, meta.shape, meta.classes).to(device)
    optimizer = group.optimizer()
    forward = stacked.batched_forward(model)
    normalise = beton.normaliser(setting["dataset"], device)
    steps_per_epoch = math.ceil(len(train) / bs)
    key = ({"setting": setting, "order_seeds": list(order_seeds)} if len(group.groups) == 1 else
           {"settings": settings, "order_seeds": list(order_seeds)})
    first_step = 0
    if start is not None:
        first_step = int(start["step"])
        optimizer.load_state_dict(start["optimizer"])
        key["start_step"] = first_step
    start_epoch, rows, diverged = _resume(state_path, key, group, optimizer)
    start_epoch = max(start_epoch, first_step // steps_per_epoch)
    save_at_steps = set(save_at_steps)
    if on_state is not None and first_step in save_at_steps and start_epoch == first_step // steps_per_epoch:
        on_state(first_step, full_state(group.params(), optimizer, first_step))
    stopped = False
    threads = torch.get_num_threads()
    batches = (ResidentBatches(train, order_seeds, bs, normalise, device) if data_path == "resident"
               else FFCVBatches(train_beton, order_seeds, bs, normalise, device))

    progress = Progress(epochs)
    compute_started = time.time()         # everything before this is the job's start-up
    for epoch in range(start_epoch, epochs):
        if all(diverged):
            break
        loss_sum = torch.zeros(members, dtype=torch.float64, device=device)
        correct = torch.zeros(members, dtype=torch.float64, device=device)
        samples = 0
        for step, (x, y) in enumerate(batches.epoch(epoch), start=epoch * steps_per_epoch):
            if step < first_step:
                continue
            lrs = group.learning_rates(optimizer, step, steps_per_epoch * epochs, learning_rate)
            params = group.params()
            logits = forward(group.forward_inputs(params), x)            # [M, b, K]
            per_sample = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
            losses = per_sample.view(members, -1).mean(1)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()       # members are disjoint: each gets its own gradient
            optimizer.step()
            with torch.no_grad():
                loss_sum += losses.detach().double() * y.shape[1]
                correct += (logits.argmax(-1) == y).sum(1, dtype=torch.float64)
            samples += y.shape[1]
            if on_state is not None and step + 1 in save_at_steps:
                on_state(step + 1, full_state(group.params(), optimizer, step + 1))
            if stop_at_step is not None and step + 1 >= stop_at_step:
                stopped = True
                break
        params = {k: v.detach() for k, v in group.params().items()}
        test_loss, test_acc = stacked.evaluate(model, group.forward_inputs(params), test.images, test.labels,
                                               normalise)
        train_loss = (loss_sum / samples).tolist()
        train_acc = (correct / samples).tolist()
        for m in range(members):
            if not math.isfinite(train_loss[m]) and not diverged[m]:
                diverged[m] = True
                log.warning("member %s diverged in epoch %d (non-finite loss)", names[m], epoch + 1)
            rows.append({"epoch": epoch + 1, "member": names[m], "lr": lrs[m],
                         "train_loss": train_loss[m], "train_acc": train_acc[m],
                         "test_loss": float(test_loss[m]), "test_acc": float(test_acc[m]),
                         "diverged": diverged[m]})
        progress.update(epoch + 1, " ".join(f"{names[m]}: loss {train_loss[m]:.4f} "
                                            f"test acc {float(test_acc[m]):.4f}"
                                            for m in range(members)))
        if stopped:
            break
        if on_snapshot is not None and epoch + 1 in snapshot_epochs:
            on_snapshot(epoch + 1, [stacked.unstack(params, m) for m in range(members)])   # detached above
        if state_path and checkpoint_every and (epoch + 1) % checkpoint_every == 0 and epoch + 1 < epochs:
            _checkpoint(state_path, key, epoch + 1, rows, diverged, group.params(), optimizer)
        if on_epoch is not None:
            on_epoch(epoch + 1)

    torch.set_num_threads(threads)        # FFCV's last epoch thread may have changed it
    final_params = group.params()
    final = [stacked.unstack(final_params, m) for m in range(members)]
    return TrainResult(inits=inits, members=final, metrics=pd.DataFrame(rows), diverged=diverged,
                       compute_started=compute_started)


def _member_name(m: int) -> str:
    return MEMBER_NAMES[m] if m < len(MEMBER_NAMES) else str(m)


def pair_inits(setting: Mapping[str, Any], seeds: Mapping[str, int]) -> list[dict[str, torch.Tensor]]:
    """The initial states [A, B] of a pair: one Θ_0 from `init_seed` shared by both, or,
    where the seeds carry `init_seed_b` (`shared_init: false`), B's own from that seed."""
    init_a = initial_state(setting, seeds["init_seed"])
    if "init_seed_b" not in seeds:
        return [init_a, init_a]
    return [init_a, initial_state(setting, seeds["init_seed_b"])]


def train_pair(setting: Mapping[str, Any], seeds: Mapping[str, int], train: beton.Split, test: beton.Split,
               device: torch.device | str, **kwargs: Any) -> TrainResult:
    """Networks A and B: one initialisation (`init_seed`) or two (`pair_inits`), two data orders."""
    return train_members(setting, pair_inits(setting, seeds), [seeds["order_seed_a"], seeds["order_seed_b"]],
                         train, test, device, **kwargs)
