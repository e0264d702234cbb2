"""Spawn-at-k and snapshots (lmc.train.spawn, lmc.train.snapshots): the guarantees of issue 9, on a
small fabricated dataset."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from lmc.aggregate import dynamics_barriers
from lmc.evaluate import barrier, interpolate
from lmc.jobs import dynamics, train
from lmc.train import loop, spawn
from lmc.train import settings as train_settings
from lmc.train.settings import point_step, steps_per_epoch
from lmc.util import io, pair_files


def setting(**kw):
    base = dict(
        dataset="mnist",
        model="mlp",
        depth=2,
        width=32,
        slope=0.0,
        optimizer="adam",
        lr=0.005,
        momentum=0.9,
        adam_betas=[0.9, 0.999],
        batch_size=64,
        epochs=3,
        warmup_fraction=0.3,
        schedule="cosine",
        weight_decay=0.0,
        augment="none",
        seed=0,
        init="torch_default",
        init_scale=1.0,
    )
    base.update(kw)
    return train_settings.canonical(base)


def save_all(result, folder, names=("a", "b")):
    folder.mkdir(parents=True, exist_ok=True)
    for name, weights in zip(names, result.members):
        io.save_weights(weights, folder / f"{name}.pt")
    io.write_csv(result.metrics, folder / "metrics.csv")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_spawn_at_zero_is_the_pair_byte_for_byte(digits_splits, tmp_path, optimizer):
    s = setting(optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 0.005)
    tr, te = digits_splits["train"], digits_splits["test"]
    pair = loop.train_pair(s, train_settings.pair_seeds(s, 0), tr, te, "cpu")
    spawned = spawn.train_spawned(s, spawn.initial_trunk_state(s, [0]), [0], tr, te, "cpu")
    save_all(pair, tmp_path / "pair")
    save_all(spawned, tmp_path / "spawned")
    for name in ("a.pt", "b.pt", "metrics.csv"):
        assert filecmp.cmp(tmp_path / "pair" / name, tmp_path / "spawned" / name, shallow=False), name


def test_spawned_members_share_the_trunk_state_and_diverge_after(digits_splits):
    s = setting()
    tr, te = digits_splits["train"], digits_splits["test"]
    k = point_step("epochs", 0.5, steps_per_epoch(s, len(tr)))  # mid-epoch: 4 of 8 steps
    assert k == 4
    states = {}
    spawn.train_trunks(s, [0, 1], tr, te, "cpu", [k], lambda step, st: states.setdefault(step, st))
    trunk = states[k]
    assert trunk["step"] == k
    # the trunk moved away from the initialisation, each pair's trunk its own
    init0 = loop.initial_state(s, train_settings.pair_seeds(s, 0)["init_seed"])
    assert all(not torch.equal(trunk["params"][n][0], init0[n]) for n in init0)
    start = spawn.select_members(trunk, [0, 0, 1, 1])
    for name, p in start["params"].items():
        assert (
            torch.equal(p[0], p[1])
            and torch.equal(p[2], p[3])
            and torch.equal(p[1], trunk["params"][name][0])
        )
    for st in start["optimizer"]["state"].values():  # Adam's moments too
        assert torch.equal(st["exp_avg"][0], st["exp_avg"][1]) and torch.equal(
            st["exp_avg_sq"][2], st["exp_avg_sq"][3]
        )
    result = spawn.train_spawned(s, trunk, [0, 1], tr, te, "cpu")
    for m in range(4):
        assert all(torch.equal(result.inits[m][n], start["params"][n][m]) for n in start["params"])
    a0, b0 = result.members[0], result.members[1]
    assert any(not torch.equal(a0[n], b0[n]) for n in a0), "different data orders after k must diverge"
    # the trunk's seed is recorded and distinct from A's and B's orders
    seeds = spawn.spawn_seeds(s, 0, k)
    assert len({seeds["order_seed_a"], seeds["order_seed_b"], seeds["order_seed_trunk"]}) == 3
    assert seeds["spawn_step"] == k and seeds == spawn.spawn_seeds(s, 0, k)


def test_spawned_members_take_the_unspawned_steps_and_learning_rates(digits_splits, monkeypatch):
    s = setting(warmup_fraction=0.5)  # warm-up over half of training, then cosine decay
    tr, te = digits_splits["train"], digits_splits["test"]
    seen = []
    real = loop.learning_rate
    monkeypatch.setattr(
        loop, "learning_rate", lambda st, step, total: seen.append((step, total)) or real(st, step, total)
    )
    loop.train_pair(s, train_settings.pair_seeds(s, 0), tr, te, "cpu")
    unspawned, seen[:] = list(seen), []
    k = point_step("epochs", 1.25, steps_per_epoch(s, len(tr)))
    states = {}
    spawn.train_trunks(s, [0], tr, te, "cpu", [k], lambda step, st: states.setdefault(step, st))
    trunk_steps, seen[:] = list(seen), []
    spawn.train_spawned(s, states[k], [0], tr, te, "cpu")
    assert trunk_steps == unspawned[:k] and seen == unspawned[k:]  # step k continues the schedule
    total = steps_per_epoch(s, len(tr)) * s["epochs"]
    assert len(unspawned) == total and unspawned[-1] == (total - 1, total)
    lrs = [real(s, step, n) for step, n in seen]
    warm = int(round(s["warmup_fraction"] * total))
    assert k < warm and lrs[0] == pytest.approx(s["lr"] * (k + 1) / warm)  # spawned inside the warm-up


def test_snapshot_at_the_last_epoch_gives_the_final_barrier(digits_splits, tmp_path):
    s = setting(optimizer="sgd", lr=0.1, warmup_fraction=0.0, schedule="constant")
    tr, te = digits_splits["train"], digits_splits["test"]
    shots = {}
    result = loop.train_pair(
        s,
        train_settings.pair_seeds(s, 0),
        tr,
        te,
        "cpu",
        dynamics=loop.Dynamics(snapshot_epochs=[1, 3], on_snapshot=lambda e, ms: shots.setdefault(e, ms)),
    )
    plain = loop.train_pair(s, train_settings.pair_seeds(s, 0), tr, te, "cpu")
    assert sorted(shots) == [1, 3]
    for m in range(2):  # snapshots change nothing, the last one is the end
        assert all(torch.equal(result.members[m][n], plain.members[m][n]) for n in plain.members[m])
        assert all(torch.equal(shots[3][m][n], plain.members[m][n]) for n in plain.members[m])
    splits = {"train": tr, "test": te}
    alphas = [0.0, 0.25, 0.5, 0.75, 1.0]
    final = barrier.pair_summary(interpolate.evaluate_path(*plain.members, s, splits, alphas, "cpu"), False)
    paths = [interpolate.evaluate_path(*shots[e], s, splits, alphas, "cpu").assign(epoch=e) for e in (1, 3)]
    along = dynamics_barriers.summaries(
        pd.concat(paths), pd.DataFrame({"epoch": [1, 2, 3], "diverged": False})
    )
    last = along[along["epoch"] == 3].iloc[0]
    for key in ("test_error_barrier", "train_error_barrier", "test_loss_barrier", "test_acc_a"):
        assert last[key] == final[key]
    assert along["epoch"].tolist() == [1, 3]


class Killed(Exception):
    """Stands for a kill: raised inside the training loop at a chosen step."""


def _run(monkeypatch, kill_at, job):
    """Run `job()`, killed when the loop reaches step `kill_at` (None: never; (step, n):
    the n-th time it reaches it); whether it ended."""
    real = loop.learning_rate
    step_at, nth = kill_at if isinstance(kill_at, tuple) else (kill_at, 1)
    seen = []

    def lr(s, step, total):
        if step == step_at:
            seen.append(step)
            if len(seen) == nth:
                raise Killed
        return real(s, step, total)

    with monkeypatch.context() as m:
        m.setattr(loop, "learning_rate", lr)
        try:
            job()
        except Killed:
            return False
    return True


def _dynamics_jobs(folder: Path, s: dict, betons: dict, points: dict) -> list:
    """The three dynamics jobs of one setting writing into `folder`: trunk, spawn, pair with
    snapshots (each with a checkpoint every epoch)."""
    common = dict(train_beton=betons["train"], test_beton=betons["test"], device="cpu", checkpoint_every=1)
    folder.mkdir(exist_ok=True)
    trunk = {
        "states": {n: str(folder / f"{n}.pt") for n in points},
        "metrics": str(folder / "tm.csv"),
        "seeds": str(folder / "ts.json"),
    }
    spawned = {
        n: {
            p: {
                k: str(folder / f"{k}{p}_{n}.{e}")
                for k, e in (("a", "pt"), ("b", "pt"), ("metrics", "csv"), ("seeds", "json"))
            }
            for p in (0, 1)
        }
        for n in points
    }
    pair = {
        pair_files.output_key(k, 0, 0): str(folder / f"pair_{k}.{e}")
        for k, e in (("init", "pt"), ("a", "pt"), ("b", "pt"), ("metrics", "csv"), ("seeds", "json"),
                     ("provenance", "json"))
    }
    pair.update({pair_files.snapshot_key(m, t, 0, 0): str(folder / f"{m}_e{t}.pt")
                 for m in "ab" for t in (1, 2, 3)})
    return [
        lambda: dynamics.trunk_job(
            s,
            pairs=[0, 1],
            unit="epochs",
            points=points,
            outputs=trunk,
            state_path=str(folder / "trunk_state.pt"),
            **common,
        ),
        lambda: dynamics.spawn_job(
            s,
            trunks=trunk["states"],
            pairs=[0, 1],
            outputs=spawned,
            state_paths={n: str(folder / f"spawn_state_{n}.pt") for n in points},
            **common,
        ),
        lambda: train.train_job(
            [s],
            [[train_settings.pair_seeds(s, 0)]],
            dict(betons),
            [0],
            outputs=pair,
            state_path=str(folder / "pair_state.pt"),
            snapshot_epochs=[1, 2, 3],
            device="cpu",
            checkpoint_every=1,
        ),
    ]


def test_killed_dynamics_jobs_resume_byte_identical(betons, tmp_path, monkeypatch):
    s = setting(epochs=3)
    settings_json = tmp_path / "setting.json"
    settings_json.write_text(json.dumps(s))
    points = {"epoch0.5": 0.5, "epoch2": 2}  # steps 4 and 16 of 24

    for job in _dynamics_jobs(tmp_path / "reference", s, betons, points):
        assert _run(monkeypatch, None, job)
    # killed after the checkpoint of epoch 1 (trunk) or 2 (spawned, pair), then run again; the
    # spawn job in its second point (epoch2, steps 16..23), the first one done
    killed = tmp_path / "killed"
    for job, kill in zip(_dynamics_jobs(killed, s, betons, points), (12, (20, 2), 20)):
        assert not _run(monkeypatch, kill, job)
        if kill == (20, 2):       # the finished point's state is kept: it resumes, not restarts
            assert (killed / "spawn_state_epoch0.5.pt").exists()
        assert _run(monkeypatch, None, job)
    names = sorted(p.name for p in (tmp_path / "reference").iterdir())
    assert names == sorted(p.name for p in killed.iterdir())
    assert {"a0_epoch0.5.pt", "b1_epoch2.pt", "a_e1.pt", "epoch2.pt", "tm.csv"} <= set(names)
    assert not any("state" in n for n in names)
    for name in names:
        if name == "pair_provenance.json":         # times and host: not results
            continue
        assert filecmp.cmp(tmp_path / "reference" / name, tmp_path / "killed" / name, shallow=False), name
