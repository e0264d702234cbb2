"""Optimisers, warm-up, and the paired training loop.

`train_members` trains any number of members of one setting from one shared
initialisation, each with its own data order, as one batched computation
(`lmc.stacked`). A pair is two members (A and B). Every random draw comes from a seed
passed in: the initialisation from `init_seed`, each member's epoch order from
`order_seed + epoch` (exactly FFCV's RANDOM order, on either data path).

Training state (parameters, optimiser, epoch, metrics so far) is checkpointed
atomically every `checkpoint_every` epochs; a killed job resumes from it and, on CPU,
finishes with byte-identical results (nothing else carries state between epochs).
"""
from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from . import data, io, stacked
from .logs import Progress, log
from .models import build_model

MEMBER_NAMES = "ab"


@contextlib.contextmanager
def keep_torch_threads():
    """Undo FFCV's changes to torch's CPU thread count.

    FFCV calls `torch.set_num_threads(num_workers)` (1 for our Loaders) when it is
    imported, when a Loader is built, and when an epoch starts (also from its worker
    thread; the MKL part of that setting is process-wide). Left alone, reading a `.beton`
    silently makes all later CPU training single-threaded."""
    threads = torch.get_num_threads()
    try:
        yield threads
    finally:
        torch.set_num_threads(threads)


@dataclass
class Split:
    """A split resident on the training device: uint8 images [N, C, H, W], int64 labels."""
    images: torch.Tensor
    labels: torch.Tensor

    @classmethod
    def from_beton(cls, path: str | os.PathLike, device: torch.device | str) -> "Split":
        with keep_torch_threads():
            x, y = data.read_beton(path)
        return cls(x.to(device), y.to(device))

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class TrainResult:
    init: dict[str, torch.Tensor]
    members: list[dict[str, torch.Tensor]]
    metrics: pd.DataFrame
    diverged: list[bool] = field(default_factory=list)


def initial_state(setting: Mapping[str, Any], init_seed: int) -> dict[str, torch.Tensor]:
    """Θ_0 drawn on the CPU from `init_seed` alone (device-independent bytes)."""
    meta = data.info(setting["dataset"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        model = build_model(setting, meta.shape, meta.classes)
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def make_optimizer(setting: Mapping[str, Any], params: Sequence[torch.Tensor]) -> torch.optim.Optimizer:
    if setting["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=setting["lr"], momentum=setting["momentum"],
                               weight_decay=setting["weight_decay"])
    if setting["optimizer"] == "adam":
        return torch.optim.Adam(params, lr=setting["lr"], betas=tuple(setting["adam_betas"]),
                                weight_decay=setting["weight_decay"])
    raise ValueError(f"unknown optimizer {setting['optimizer']!r}")


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


def _prenormalised(train: Split, normalise, chunk: int = 2048) -> torch.Tensor | None:
    """The whole split normalised (float32, on its device), or None if it is too big.
    Filled chunk by chunk into one buffer: small chunks stay in cache."""
    if train.images.numel() * 4 > PRENORMALISE_MAX_BYTES:
        return None
    out = torch.empty(train.images.shape, dtype=torch.float32, device=train.images.device)
    for i in range(0, len(train), chunk):
        out[i:i + chunk] = normalise(train.images[i:i + chunk])
    return out


def _ffcv_loaders(beton, batch_size, order_seeds):
    """One FFCV Loader per member, built once per training run and reused every epoch
    (a Loader compiles its pipeline on first use, ~0.5 s; later epochs reuse the code)."""
    return [data.ffcv_loader(beton, batch_size, seed=s) for s in order_seeds]


def _member_batches(setting, train: Split, order_seeds, epoch, device, data_path, normalise, *,
                    inputs: torch.Tensor | None = None, loaders=None, threads: int | None = None):
    """Yield (x float32 normalised [M, b, C, H, W], y [M, b]) for one epoch, members in
    lockstep. `inputs` is the pre-normalised resident split (or None: normalise each
    batch); `loaders` are the members' FFCV Loaders (ffcv path); `threads` is torch's
    CPU thread count to put back once FFCV's epoch threads have changed it."""
    bs, n = setting["batch_size"], len(train)
    if data_path == "resident":
        orders = torch.from_numpy(np.stack([data.epoch_order(s, epoch, n) for s in order_seeds])).to(device)
        members = len(order_seeds)
        # One input buffer reused by every step (a step is finished, backward included,
        # before the next gather overwrites it; autograd's version counter would catch
        # any misuse). Saves allocating and faulting in a fresh batch each step.
        buffer = None if inputs is None else inputs.new_empty((members * min(bs, n), *inputs.shape[1:]))
        for start in range(0, n, bs):
            idx = orders[:, start:start + bs]
            if inputs is None:
                x = normalise(train.images[idx])
            else:
                x = torch.index_select(inputs, 0, idx.reshape(-1), out=buffer[:idx.numel()])
                x = x.view(*idx.shape, *inputs.shape[1:])
            yield x, train.labels[idx]
    else:                                   # "ffcv" (train_members validated data_path)
        for loader in loaders:
            loader.next_epoch = epoch       # FFCV's order is default_rng(seed + next_epoch)
        for i, batches in enumerate(zip(*loaders)):
            if i == 0 and threads is not None:
                # every Loader's epoch thread has set torch's threads to 1 before its first batch
                torch.set_num_threads(threads)
            xs = torch.stack([b[0] for b in batches]).to(device)
            ys = torch.stack([b[1].reshape(-1) for b in batches]).to(device).long()
            yield normalise(xs), ys


def train_members(setting: Mapping[str, Any], init: Mapping[str, torch.Tensor], order_seeds: Sequence[int],
                  train: Split, test: Split, device: torch.device | str, *, data_path: str = "resident",
                  train_beton: str | None = None, state_path: str | None = None, checkpoint_every: int = 0,
                  on_epoch: Callable[[int], None] | None = None) -> TrainResult:
    """Train len(order_seeds) members from `init`; returns their final weights and
    per-epoch metrics (one row per epoch and member)."""
    meta = data.info(setting["dataset"])
    members = len(order_seeds)
    model = build_model(setting, meta.shape, meta.classes).to(device)
    params = {k: v.requires_grad_() for k, v in stacked.stack_states([init] * members, device).items()}
    optimizer = make_optimizer(setting, list(params.values()))
    forward = stacked.batched_forward(model)
    normalise = data.normaliser(setting["dataset"], device)
    steps_per_epoch = math.ceil(len(train) / setting["batch_size"])
    total_steps = steps_per_epoch * setting["epochs"]
    key = {"setting": dict(setting), "order_seeds": list(order_seeds)}

    rows: list[dict[str, Any]] = []
    diverged = [False] * members
    start_epoch = 0
    if state_path and os.path.exists(state_path):
        state = io.load_state(state_path)
        if state["key"] != key:
            raise RuntimeError(f"{state_path} belongs to another setting or seeds; delete it to start over")
        with torch.no_grad():
            for k in params:
                params[k].copy_(state["params"][k])
        optimizer.load_state_dict(state["optimizer"])
        rows, diverged, start_epoch = state["rows"], state["diverged"], state["epoch"]
        log.info("resumed from %s at epoch %d", state_path, start_epoch)

    if data_path not in ("resident", "ffcv"):
        raise ValueError(f"data_path must be 'resident' or 'ffcv', got {data_path!r}")
    inputs = _prenormalised(train, normalise) if data_path == "resident" else None
    loaders, threads = None, torch.get_num_threads()
    if data_path == "ffcv":
        with keep_torch_threads():
            loaders = _ffcv_loaders(train_beton, setting["batch_size"], order_seeds)

    progress = Progress(setting["epochs"])
    for epoch in range(start_epoch, setting["epochs"]):
        if all(diverged):
            break
        loss_sum = torch.zeros(members, dtype=torch.float64, device=device)
        correct = torch.zeros(members, dtype=torch.float64, device=device)
        step = epoch * steps_per_epoch
        for x, y in _member_batches(setting, train, order_seeds, epoch, device, data_path, normalise,
                                    inputs=inputs, loaders=loaders, threads=threads):
            lr = learning_rate(setting, step, total_steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            logits = forward(params, x)                                  # [M, b, K]
            per_sample = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
            losses = per_sample.view(members, -1).mean(1)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()       # members are disjoint: each gets its own gradient
            optimizer.step()
            with torch.no_grad():
                loss_sum += losses.detach().double() * y.shape[1]
                correct += (logits.argmax(-1) == y).sum(1, dtype=torch.float64)
            step += 1
        test_loss, test_acc = stacked.evaluate(model, {k: v.detach() for k, v in params.items()},
                                               test.images, test.labels, normalise)
        train_loss = (loss_sum / len(train)).tolist()
        train_acc = (correct / len(train)).tolist()
        for m in range(members):
            if not math.isfinite(train_loss[m]) and not diverged[m]:
                diverged[m] = True
                log.warning("member %s diverged in epoch %d (non-finite loss)", MEMBER_NAMES[m] if m < 2 else m, epoch + 1)
            rows.append({"epoch": epoch + 1, "member": _member_name(m), "lr": lr,
                         "train_loss": train_loss[m], "train_acc": train_acc[m],
                         "test_loss": float(test_loss[m]), "test_acc": float(test_acc[m]),
                         "diverged": diverged[m]})
        progress.update(epoch + 1, " ".join(f"{_member_name(m)}: loss {train_loss[m]:.4f} test acc {float(test_acc[m]):.4f}"
                                            for m in range(members)))
        done = epoch + 1
        if state_path and checkpoint_every and (done % checkpoint_every == 0) and done < setting["epochs"]:
            io.save_state({"key": key, "epoch": done, "rows": rows, "diverged": diverged,
                           "params": {k: v.detach().cpu() for k, v in params.items()},
                           "optimizer": optimizer.state_dict()}, state_path)
        if on_epoch is not None:
            on_epoch(done)

    torch.set_num_threads(threads)
    final = [stacked.unstack(params, m) for m in range(members)]
    return TrainResult(init=dict(init), members=final, metrics=pd.DataFrame(rows), diverged=diverged)


def _member_name(m: int) -> str:
    return MEMBER_NAMES[m] if m < len(MEMBER_NAMES) else str(m)


def train_pair(setting: Mapping[str, Any], seeds: Mapping[str, int], train: Split, test: Split,
               device: torch.device | str, **kwargs: Any) -> TrainResult:
    """Networks A and B: one initialisation (`init_seed`), two data orders."""
    init = initial_state(setting, seeds["init_seed"])
    return train_members(setting, init, [seeds["order_seed_a"], seeds["order_seed_b"]], train, test, device, **kwargs)
