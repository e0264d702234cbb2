"""Spawn-at-k (Frankle et al. 2020, "Linear Mode Connectivity and the Lottery Ticket
Hypothesis"): a *trunk* trained from a pair's initialisation with its own data order;
A and B start from the trunk's full state after k steps (parameters, optimiser state,
global step) and continue to the end of training with their own data orders. The
learning-rate schedule and warm-up continue where the trunk left them, so a spawned
member takes exactly the steps an unspawned one takes; k = 0 is the pair itself.

Spawn points are given in epochs (fractions allowed) or steps (`spawn.unit`); a point's
step is round(k * steps per epoch). Every pair of a setting has its own trunk (from the
pair's `init_seed`, with `order_seed_trunk`), so the band over pairs is over independent
replicates. One batched trunk job trains the trunks of all pairs and saves their state
at every spawn point; one batched job per (setting, point) trains every pair's A and B
from it (members a0, b0, a1, b1, ...)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from lmc.data import resident
from lmc.nn import stacked
from lmc.train import checkpoints, loop, members
from lmc.train.settings import canonical_json, pair_seeds


def trunk_seed(setting: Mapping[str, Any], pair: int) -> int:
    """The trunk's data-order seed: derived like `settings.pair_seeds`, from the setting and the
    pair only, and distinct from the pair's A and B orders."""
    taken = {v for k, v in pair_seeds(setting, pair).items() if k.startswith("order_seed")}
    digest = hashlib.sha256(f"{canonical_json(setting)}|pair{pair}|order_trunk".encode()).digest()
    seed = int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
    while seed in taken:
        seed = (seed + 1) & 0x7FFFFFFF
    return seed


def spawn_seeds(setting: Mapping[str, Any], pair: int, step: int | None = None) -> dict[str, int]:
    """Every seed of a spawned pair: the pair's own (init, A and B orders), the trunk's, and
    (given) the step A and B were spawned at."""
    seeds = {**pair_seeds(setting, pair), "order_seed_trunk": trunk_seed(setting, pair)}
    return seeds if step is None else {**seeds, "spawn_step": step}


def train_trunks(
    setting: Mapping[str, Any],
    pairs: Sequence[int],
    train_split: resident.Split,
    test_split: resident.Split,
    device: torch.device | str,
    steps: Sequence[int],
    on_state,
    **kwargs: Any,
) -> loop.TrainResult:
    """The trunks of `pairs` (one member each, from the pair's initialisation), trained up
    to the last of `steps`; `on_state(step, full state)` at each of them."""
    inits = [loop.initial_state(setting, pair_seeds(setting, p)["init_seed"]) for p in pairs]
    return loop.train_members(
        setting,
        inits,
        [trunk_seed(setting, p) for p in pairs],
        train_split,
        test_split,
        device,
        dynamics=loop.Dynamics(stop_at_step=max(steps), save_at_steps=steps, on_state=on_state),
        **kwargs,
    )


def select_members(state: Mapping[str, Any], members: Sequence[int]) -> dict[str, Any]:
    """A full state (`checkpoints.full_state`) of the listed members, in that order (a member may
    repeat: A and B of a pair start from one trunk). The optimiser's per-parameter tensors
    are stacked over members like the parameters; its scalars (Adam's step) are shared."""
    idx = torch.tensor(list(members), dtype=torch.long)
    size = next(iter(state["params"].values())).shape[0]

    def pick(v: Any) -> Any:
        return v.index_select(0, idx) if torch.is_tensor(v) and v.dim() and v.shape[0] == size else v

    return {
        "step": state["step"],
        "params": {k: pick(v) for k, v in state["params"].items()},
        "optimizer": {
            "state": {i: {n: pick(v) for n, v in s.items()} for i, s in state["optimizer"]["state"].items()},
            "param_groups": state["optimizer"]["param_groups"],
        },
    }


def train_spawned(
    setting: Mapping[str, Any],
    trunk: Mapping[str, Any],
    pairs: Sequence[int],
    train_split: resident.Split,
    test_split: resident.Split,
    device: torch.device | str,
    **kwargs: Any,
) -> loop.TrainResult:
    """A and B of every pair in `pairs` from the trunks' full state `trunk` (member i =
    the trunk of pairs[i]), to the end of training; members a0, b0, a1, b1, ..."""
    start = select_members(trunk, [i for i in range(len(pairs)) for _ in "ab"])
    seeds = [pair_seeds(setting, p) for p in pairs]
    orders = [s[f"order_seed_{m}"] for s in seeds for m in "ab"]
    members = len(orders)
    inits = [stacked.unstack(start["params"], m) for m in range(members)]
    return loop.train_members(
        setting,
        inits,
        orders,
        train_split,
        test_split,
        device,
        dynamics=loop.Dynamics(start={"step": start["step"], "optimizer": start["optimizer"]}),
        **kwargs,
    )


def initial_trunk_state(setting: Mapping[str, Any], pairs: Sequence[int]) -> dict[str, Any]:
    """The trunks' full state before any step (each pair's initialisation, a fresh
    optimiser): spawning from it is training the pair."""
    inits = [loop.initial_state(setting, pair_seeds(setting, p)["init_seed"]) for p in pairs]
    params = stacked.stack_states(inits, "cpu")
    return checkpoints.full_state(params, members.make_optimizer([setting], [list(params.values())]), 0)
