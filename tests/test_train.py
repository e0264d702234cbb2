"""Paired training, interpolation and their guarantees, on a small fabricated dataset."""
from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import job_outputs
from torch import nn

from lmc.data import resident
from lmc.evaluate import interpolate
from lmc.jobs import interpolate as interpolate_job
from lmc.jobs import train
from lmc.nn import stacked
from lmc.nn.models import build_model
from lmc.train import loop
from lmc.train import settings as train_settings
from lmc.util import io


def setting(**kw):
    base = dict(dataset="mnist", model="mlp", depth=2, width=32, slope=0.0, optimizer="sgd", lr=0.05,
                momentum=0.9, adam_betas=[0.9, 0.999], batch_size=64, epochs=2, warmup_fraction=0.0,
                schedule="constant", weight_decay=0.0, augment="none", seed=0,
                init="torch_default", init_scale=1.0)
    base.update(kw)
    return train_settings.canonical(base)


def test_a_and_b_share_init_bytes_and_see_different_orders(digits_splits, tmp_path):
    s = setting(epochs=1)
    seeds = train_settings.pair_seeds(s, 0)
    assert seeds["order_seed_a"] != seeds["order_seed_b"]
    assert train_settings.pair_seeds(s, 0) == seeds and train_settings.pair_seeds(s, 1) != seeds
    n = len(digits_splits["train"])
    assert not np.array_equal(resident.epoch_order(seeds["order_seed_a"], 0, n),
                              resident.epoch_order(seeds["order_seed_b"], 0, n))
    result = loop.train_pair(s, seeds, digits_splits["train"], digits_splits["test"], "cpu")
    init = loop.initial_state(s, seeds["init_seed"])
    assert all(torch.equal(init[k], result.inits[0][k]) for k in init)
    io.save_weights(result.inits[0], tmp_path / "i1.pt")
    io.save_weights(loop.initial_state(s, seeds["init_seed"]), tmp_path / "i2.pt")
    assert filecmp.cmp(tmp_path / "i1.pt", tmp_path / "i2.pt", shallow=False)
    a, b = result.members
    assert any(not torch.equal(a[k], b[k]) for k in a), "different data orders must give different networks"


def test_batched_members_match_training_each_alone(digits_splits):
    s = setting(optimizer="adam", lr=0.002, epochs=2)
    init = loop.initial_state(s, 123)
    both = loop.train_members(s, init, [11, 22], digits_splits["train"], digits_splits["test"], "cpu")
    for m, seed in enumerate([11, 22]):
        alone = loop.train_members(s, init, [seed], digits_splits["train"], digits_splits["test"], "cpu")
        for k in init:
            torch.testing.assert_close(both.members[m][k], alone.members[0][k], rtol=1e-4, atol=1e-5)
        mb = both.metrics[both.metrics["member"] == "ab"[m]]["train_loss"].to_numpy()
        ma = alone.metrics["train_loss"].to_numpy()
        np.testing.assert_allclose(mb, ma, rtol=1e-5)


def test_endpoints_of_the_path_are_exactly_a_and_b():
    s = setting()
    a, b = loop.initial_state(s, 1), loop.initial_state(s, 2)
    path = stacked.interpolate_states(a, b, [0.0, 0.3, 1.0], "cpu")
    for k in a:
        assert torch.equal(path[k][0], a[k]) and torch.equal(path[k][2], b[k])
        torch.testing.assert_close(path[k][1], 0.7 * a[k] + 0.3 * b[k])


def test_batched_interpolation_equals_per_alpha_evaluation(digits_splits):
    s = setting()
    a, b = loop.initial_state(s, 1), loop.initial_state(s, 2)
    alphas = [0.0, 0.5, 1.0]
    table = interpolate.evaluate_path(a, b, s, {"test": digits_splits["test"]}, alphas, "cpu", batch_size=100)
    model = build_model(s, (1, 28, 28), 10)
    norm = resident.normaliser("mnist", "cpu")
    te = digits_splits["test"]
    for alpha in alphas:
        model.load_state_dict({k: (1 - alpha) * a[k] + alpha * b[k] for k in a})
        with torch.no_grad():
            logits = model(norm(te.images))
        loss = nn.functional.cross_entropy(logits, te.labels).item()
        err = (logits.argmax(1) != te.labels).double().mean().item()
        row = table[table["alpha"] == alpha].iloc[0]
        assert row["error"] == pytest.approx(err, abs=1e-12)
        assert row["loss"] == pytest.approx(loss, rel=1e-5)


def test_same_setting_twice_gives_byte_identical_outputs(betons, tmp_path):
    s = setting()
    seeds = [[train_settings.pair_seeds(s, 0)]]
    outs = []
    for run in ("r1", "r2"):
        out = job_outputs(tmp_path / run, [0])
        train.train_job([s], seeds, betons, [0], out, state_path=str(tmp_path / run / "state.pt"),
                            device="cpu", threads=1)
        interpolate_job.interpolate_job([s], [[(out["a_0_0"], out["b_0_0"])]], betons, [0.0, 0.5, 1.0],
                                        [[str(tmp_path / run / "pair0" / "interpolation.csv")]], device="cpu")
        outs.append(tmp_path / run / "pair0")
    for name in ("init.pt", "a.pt", "b.pt", "metrics.csv", "seeds.json", "interpolation.csv"):
        assert filecmp.cmp(outs[0] / name, outs[1] / name, shallow=False), name
    assert not (outs[0] / "state.pt").exists(), "the resumable state is removed after success"


def test_ffcv_loader_path_gives_the_same_training_as_resident(betons):
    s = setting(epochs=2)
    tr, te = (resident.Split.from_beton(betons[name], "cpu") for name in ("train", "test"))
    init = loop.initial_state(s, 5)
    in_memory = loop.train_members(s, init, [7, 8], tr, te, "cpu", data_path="resident")
    ffcv = loop.train_members(s, init, [7, 8], tr, te, "cpu", data_path="ffcv", train_beton=betons["train"])
    for m in range(2):
        for k in init:
            assert torch.equal(in_memory.members[m][k], ffcv.members[m][k]), "same order, same bytes"


def test_interrupted_training_resumes_to_identical_bytes(digits_splits, tmp_path):
    s = setting(epochs=3, optimizer="adam", lr=0.001)
    tr, te = digits_splits["train"], digits_splits["test"]
    init = loop.initial_state(s, 9)
    full = loop.train_members(s, init, [1, 2], tr, te, "cpu")

    class Killed(Exception):
        pass

    def kill_after_2(epoch):
        if epoch == 2:
            raise Killed

    state = str(tmp_path / "state.pt")
    with pytest.raises(Killed):
        loop.train_members(s, init, [1, 2], tr, te, "cpu", state_path=state, checkpoint_every=1,
                           on_epoch=kill_after_2)
    resumed = loop.train_members(s, init, [1, 2], tr, te, "cpu", state_path=state, checkpoint_every=1)
    for m in range(2):
        io.save_weights(full.members[m], tmp_path / f"full{m}.pt")
        io.save_weights(resumed.members[m], tmp_path / f"res{m}.pt")
        assert filecmp.cmp(tmp_path / f"full{m}.pt", tmp_path / f"res{m}.pt", shallow=False)
    assert full.metrics.equals(resumed.metrics)
    # a state left by another setting is moved aside (never resumed from), and training starts over
    other = setting(epochs=3)
    fresh = loop.train_members(other, init, [1, 2], tr, te, "cpu")
    again = loop.train_members(other, init, [1, 2], tr, te, "cpu", state_path=state, checkpoint_every=1)
    assert Path(state + ".stale").exists()
    assert fresh.metrics.equals(again.metrics)


def test_divergence_is_recorded_not_a_crash(digits_splits):
    s = setting(model="linear", depth=4, lr=50.0, epochs=3)
    result = loop.train_members(s, loop.initial_state(s, 3), [1, 2], digits_splits["train"],
                                digits_splits["test"], "cpu")
    assert all(result.diverged)
    assert result.metrics["diverged"].any()
    assert result.metrics["epoch"].max() < 3, "training stops once every member diverged"


def test_warmup_schedule():
    s = setting(lr=0.1, warmup_fraction=0.1)
    lrs = [loop.learning_rate(s, step, 100) for step in range(100)]
    assert lrs[0] == pytest.approx(0.01) and lrs[9] == pytest.approx(0.1) and lrs[50] == 0.1
    c = setting(lr=0.1, schedule="cosine")
    assert loop.learning_rate(c, 0, 100) == pytest.approx(0.1) and loop.learning_rate(c, 99, 100) < 0.001


def test_corrupt_resume_state_is_moved_aside_and_training_starts_over(digits_splits, tmp_path):
    s = setting(epochs=2)
    tr, te = digits_splits["train"], digits_splits["test"]
    init = loop.initial_state(s, 4)
    clean = loop.train_members(s, init, [1, 2], tr, te, "cpu")
    state = tmp_path / "state.pt"
    io.save_state({"key": "whatever", "epoch": 1}, state)
    state.write_bytes(state.read_bytes()[:50])                  # a state file cut short
    again = loop.train_members(s, init, [1, 2], tr, te, "cpu", state_path=str(state), checkpoint_every=1)
    assert (tmp_path / "state.pt.corrupt").exists()             # kept for inspection, not deleted
    assert again.metrics.equals(clean.metrics)                  # from epoch 0, same numbers as a clean run
    for m in range(2):
        assert all(torch.equal(again.members[m][k], clean.members[m][k]) for k in clean.members[m])


def test_corrupt_checkpoint_and_csv_are_named_with_the_fix(tmp_path):
    weights = tmp_path / "a.pt"
    io.save_weights({"w": torch.ones(3)}, weights)
    weights.write_bytes(weights.read_bytes()[:-40])
    with pytest.raises(io.CorruptFileError, match=rf"{weights}: not a readable checkpoint .*rm {weights}"):
        io.load_weights(weights)
    csv = tmp_path / "interpolation.csv"
    csv.write_text("split,alpha,loss\ntest,0.0,0.1\n")
    with pytest.raises(io.CorruptFileError, match="lacks columns error, accuracy; delete it"):
        io.read_csv(csv, ("split", "alpha", "loss", "error", "accuracy"))


def test_a_stale_resume_state_is_moved_aside_and_training_starts_over(digits_splits, tmp_path):
    s = setting(epochs=2)
    tr, te = digits_splits["train"], digits_splits["test"]
    init = loop.initial_state(s, 4)
    clean = loop.train_members(s, init, [1, 2], tr, te, "cpu")
    state = tmp_path / "state.pt"
    io.save_state({"key": {"another": "job"}, "epoch": 1}, state)   # e.g. from before pairs: 2 -> 3
    again = loop.train_members(s, init, [1, 2], tr, te, "cpu", state_path=str(state), checkpoint_every=1)
    assert (tmp_path / "state.pt.stale").exists()                # kept for inspection, not deleted
    assert again.metrics.equals(clean.metrics)
