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

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch
from torch import nn

from lmc.data import resident, sources
from lmc.nn import stacked
from lmc.nn.models import build_model
from lmc.train import batches, checkpoints
from lmc.train.members import Members
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


@dataclass
class Dynamics:
    """What the training-dynamics artefacts ask of a training (lmc.train.spawn,
    lmc.train.snapshots); the defaults change nothing.

    `start` ({"step", "optimizer"}, e.g. from `checkpoints.full_state`) continues training at
    that global step with that optimiser state, the parameters being the training's init:
    the schedule and warm-up go on where they were and the total number of steps is an
    unspawned run's. `on_state(step, full state)` is called when `step` (in
    `save_at_steps`) steps are done; training ends once `stop_at_step` steps are done.
    `on_snapshot(epoch, members' weights)` is called after each epoch in `snapshot_epochs`."""
    start: Mapping[str, Any] | None = None
    stop_at_step: int | None = None
    save_at_steps: Sequence[int] = ()
    on_state: Callable[[int, dict], None] | None = None
    snapshot_epochs: Sequence[int] = ()
    on_snapshot: Callable[[int, list[dict]], None] | None = None

    def first_step(self, optimizer: torch.optim.Optimizer, key: dict[str, Any]) -> int:
        """The global step training starts at; loads the start's optimiser state."""
        if self.start is None:
            return 0
        optimizer.load_state_dict(self.start["optimizer"])
        key["start_step"] = int(self.start["step"])
        return int(self.start["step"])

    def after_step(self, step: int, group: Members, optimizer: torch.optim.Optimizer) -> bool:
        """Hand out the full state if `step` steps are a save point; True to stop here."""
        if self.on_state is not None and step in self.save_at_steps:
            self.on_state(step, checkpoints.full_state(group.params(), optimizer, step))
        return self.stop_at_step is not None and step >= self.stop_at_step

    def after_epoch(self, epoch: int, params: Mapping[str, torch.Tensor], members: int) -> None:
        if self.on_snapshot is not None and epoch in self.snapshot_epochs:
            self.on_snapshot(epoch, [stacked.unstack(params, m) for m in range(members)])


class _Tally:
    """Train loss and accuracy summed over the batches an epoch trained, per member."""

    def __init__(self, members: int, device: torch.device | str):
        self.loss = torch.zeros(members, dtype=torch.float64, device=device)
        self.correct = torch.zeros(members, dtype=torch.float64, device=device)
        self.samples = 0

    def add(self, losses: torch.Tensor, logits: torch.Tensor, y: torch.Tensor) -> None:
        with torch.no_grad():
            self.loss += losses.detach().double() * y.shape[1]
            self.correct += (logits.argmax(-1) == y).sum(1, dtype=torch.float64)
        self.samples += y.shape[1]

    def means(self) -> tuple[list[float], list[float]]:
        return (self.loss / self.samples).tolist(), (self.correct / self.samples).tolist()


def _epoch_rows(epoch: int, names: Sequence[str], lrs: Sequence[float], tally: _Tally,
                test: tuple[torch.Tensor, torch.Tensor], diverged: list[bool]) -> list[dict[str, Any]]:
    """One metric row per member after `epoch` epochs; marks (and says) new divergences."""
    (train_loss, train_acc), (test_loss, test_acc) = tally.means(), test
    rows = []
    for m, name in enumerate(names):
        if not math.isfinite(train_loss[m]) and not diverged[m]:
            diverged[m] = True
            log.warning("member %s diverged in epoch %d (non-finite loss)", name, epoch)
        rows.append({"epoch": epoch, "member": name, "lr": lrs[m], "train_loss": train_loss[m],
                     "train_acc": train_acc[m], "test_loss": float(test_loss[m]),
                     "test_acc": float(test_acc[m]), "diverged": diverged[m]})
    return rows


def _progress(rows: Sequence[Mapping[str, Any]]) -> str:
    return " ".join(f"{r['member']}: loss {r['train_loss']:.4f} test acc {r['test_acc']:.4f}" for r in rows)


def _batches(data_path: str, train: resident.Split, train_beton: str | None, order_seeds: Sequence[int],
             batch_size: int, normalise, device: torch.device | str):
    if data_path == "resident":
        return batches.ResidentBatches(train, order_seeds, batch_size, normalise, device)
    if data_path != "ffcv":
        raise ValueError(f"data_path must be 'resident' or 'ffcv', got {data_path!r}")
    if train_beton is None:
        raise ValueError("data_path 'ffcv' needs train_beton")
    return batches.FFCVBatches(train_beton, order_seeds, batch_size, normalise, device)


def _model(setting: Mapping[str, Any], device: torch.device | str) -> nn.Module:
    meta = sources.info(setting["dataset"])
    return build_model(setting, meta.shape, meta.classes).to(device)


def _state_key(settings: Sequence[Mapping[str, Any]], order_seeds: Sequence[int], bundled: bool) -> dict:
    """What a checkpoint must have been written by to be resumed from."""
    if bundled:
        return {"settings": settings, "order_seeds": list(order_seeds)}
    return {"setting": settings[0], "order_seeds": list(order_seeds)}


def _per_member(value: Mapping[str, Any] | Sequence[Mapping[str, Any]], members: int) -> list[dict]:
    """One value shared by every member, or one per member, as one dict per member."""
    return [dict(value)] * members if isinstance(value, Mapping) else [dict(v) for v in value]


def train_members(setting: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                  init: Mapping[str, torch.Tensor] | Sequence[Mapping[str, torch.Tensor]],
                  order_seeds: Sequence[int], train: resident.Split, test: resident.Split,
                  device: torch.device | str, *, data_path: str = "resident", train_beton: str | None = None,
                  state_path: str | None = None, checkpoint_every: int = 0,
                  on_epoch: Callable[[int], None] | None = None, names: Sequence[str] | None = None,
                  dynamics: Dynamics = Dynamics()) -> TrainResult:
    """Train len(order_seeds) members of `setting` (or one setting per member: a bundle) from
    `init` (one state for all, or one per member); returns their final weights and metrics
    per epoch and member (named a, b, 2, ... unless `names`; an epoch entered or left part-way
    averages over the batches it trained). `dynamics`: spawn's and snapshots' hooks."""
    members, settings = len(order_seeds), _per_member(setting, len(order_seeds))
    inits = _per_member(init, members)
    group, setting = Members(settings, inits, device), settings[0]
    names = list(names) if names is not None else [member_name(m) for m in range(members)]
    model, epochs = _model(setting, device), setting["epochs"]
    optimizer, forward = group.optimizer(), stacked.batched_forward(model)
    normalise = resident.normaliser(setting["dataset"], device)
    per_epoch = math.ceil(len(train) / setting["batch_size"])
    key = _state_key(settings, order_seeds, bundled=len(group.groups) > 1)
    first_step = dynamics.first_step(optimizer, key)
    start_epoch, rows, diverged = checkpoints.resume(state_path, key, group, optimizer)
    if start_epoch <= first_step // per_epoch:
        start_epoch = first_step // per_epoch
        dynamics.after_step(first_step, group, optimizer)
    threads, stopped = torch.get_num_threads(), False
    data = _batches(data_path, train, train_beton, order_seeds, setting["batch_size"], normalise, device)
    progress, compute_started = Progress(epochs), time.time()   # before this: the job's start-up
    for epoch in range(start_epoch, epochs):
        if all(diverged):
            break
        tally = _Tally(members, device)
        for step, (x, y) in enumerate(data.epoch(epoch), start=epoch * per_epoch):
            if step < first_step:
                continue
            lrs = group.learning_rates(optimizer, step, per_epoch * epochs, learning_rate)
            logits = forward(group.forward_inputs(group.params()), x)            # [M, b, K]
            per_sample = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
            losses = per_sample.view(members, -1).mean(1)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()       # members are disjoint: each gets its own gradient
            optimizer.step()
            tally.add(losses, logits, y)
            if stopped := dynamics.after_step(step + 1, group, optimizer):
                break
        params = {k: v.detach() for k, v in group.params().items()}
        tested = stacked.evaluate(model, group.forward_inputs(params), test.images, test.labels, normalise)
        rows += (done := _epoch_rows(epoch + 1, names, lrs, tally, tested, diverged))
        progress.update(epoch + 1, _progress(done))
        if stopped:
            break
        dynamics.after_epoch(epoch + 1, params, members)
        if state_path and checkpoint_every and (epoch + 1) % checkpoint_every == 0 and epoch + 1 < epochs:
            checkpoints.checkpoint(state_path, key, epoch + 1, rows, diverged, group.params(), optimizer)
        if on_epoch is not None:
            on_epoch(epoch + 1)
    torch.set_num_threads(threads)        # FFCV's last epoch thread may have changed it
    final = [stacked.unstack(group.params(), m) for m in range(members)]
    return TrainResult(inits=inits, members=final, metrics=pd.DataFrame(rows),
                       diverged=diverged, compute_started=compute_started)


def member_name(m: int) -> str:
    """A member's name in the metrics: a and b for a pair, then 2, 3, ..."""
    return MEMBER_NAMES[m] if m < len(MEMBER_NAMES) else str(m)


def pair_inits(setting: Mapping[str, Any], seeds: Mapping[str, int]) -> list[dict[str, torch.Tensor]]:
    """The initial states [A, B] of a pair: one Θ_0 from `init_seed` shared by both, or,
    where the seeds carry `init_seed_b` (`shared_init: false`), B's own from that seed."""
    init_a = initial_state(setting, seeds["init_seed"])
    if "init_seed_b" not in seeds:
        return [init_a, init_a]
    return [init_a, initial_state(setting, seeds["init_seed_b"])]


def train_pair(setting: Mapping[str, Any], seeds: Mapping[str, int], train: resident.Split,
               test: resident.Split,
               device: torch.device | str, **kwargs: Any) -> TrainResult:
    """Networks A and B: one initialisation (`init_seed`) or two (`pair_inits`), two data orders."""
    return train_members(setting, pair_inits(setting, seeds), [seeds["order_seed_a"], seeds["order_seed_b"]],
                         train, test, device, **kwargs)
