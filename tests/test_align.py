"""Permutation alignment: a permuted network computes the same function, weight matching
recovers a planted permutation, activation matching finds it too."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmc.analyses import alignment
from lmc.analyses.activation_matching import activation_matching
from lmc.data import resident
from lmc.train.loop import initial_state

BASE = {"dataset": "mnist", "init": "torch_default", "init_scale": 1.0, "depth": 3, "width": 16, "slope": 0.0,
        "channels": 6, "kernel": 7, "patch": 7, "heads": 2, "head_dim": 4}
MODELS = {"mlp": {"model": "mlp"}, "linear": {"model": "linear", "depth": 2}, "cnn": {"model": "cnn"},
          "lcn": {"model": "lcn"}, "vit": {"model": "vit"}}


def _logits(setting, state, x):
    from lmc.nn.models import build_model

    m = build_model(setting, (1, 28, 28), 10)
    m.load_state_dict(state)
    with torch.no_grad():
        return m(x)


def _planted(kind, init_seed, perm_seed):
    """(setting, A, B = A with its units shuffled by a random permutation)."""
    setting = {**BASE, **MODELS[kind]}
    a = initial_state(setting, init_seed)
    rng = np.random.default_rng(perm_seed)
    planted = {g: rng.permutation(n) for g, n in alignment.perm_spec(setting).sizes.items()}
    return setting, a, alignment.permute(setting, a, planted)


@pytest.mark.parametrize("kind", list(MODELS))
def test_permuted_network_computes_the_same_logits(kind):
    setting, state, moved = _planted(kind, 3, 1)
    assert set(moved) == set(state) and all(moved[k].shape == state[k].shape for k in state)
    changed = [k for k in state if not torch.equal(moved[k], state[k])]
    assert changed, "a random permutation must move some weights"
    x = torch.randn(32, 1, 28, 28)
    torch.testing.assert_close(_logits(setting, moved, x), _logits(setting, state, x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", list(MODELS))
def test_weight_matching_recovers_a_planted_permutation(kind):
    setting, a, b = _planted(kind, 5, 2)
    perms, sweeps = alignment.weight_matching(setting, a, b, seed=0)
    aligned = alignment.permute(setting, b, perms)
    for k in a:
        torch.testing.assert_close(aligned[k], a[k], rtol=0, atol=0)
    assert 1 <= sweeps <= 3
    # and the identity is the answer when there is nothing to undo
    same, _ = alignment.weight_matching(setting, a, a, seed=0)
    assert all((p == np.arange(len(p))).all() for p in same.values())


def test_weight_matching_is_deterministic_and_improves_the_match():
    setting = {**BASE, "model": "mlp"}
    a, b = initial_state(setting, 1), initial_state(setting, 2)
    p1, _ = alignment.weight_matching(setting, a, b, seed=7)
    p2, _ = alignment.weight_matching(setting, a, b, seed=7)
    assert alignment.perms_json(p1) == alignment.perms_json(p2)
    moved = alignment.permute(setting, b, p1)

    def inner(s):
        return sum(float((a[k].double() * s[k].double()).sum()) for k in a)

    assert inner(moved) > inner(b)


@pytest.mark.parametrize("kind", ["mlp", "cnn", "lcn"])
def test_activation_matching_recovers_a_planted_permutation(kind):
    setting, a, b = _planted(kind, 5, 4)
    g = torch.Generator().manual_seed(0)
    train = resident.Split(torch.randint(0, 256, (600, 1, 28, 28), generator=g, dtype=torch.uint8),
                           torch.zeros(600, dtype=torch.long))
    perms = activation_matching(setting, a, b, train, "cpu", batch_size=256)
    aligned = alignment.permute(setting, b, perms)
    for k in a:
        torch.testing.assert_close(aligned[k], a[k], rtol=0, atol=0)


def test_activation_matching_refuses_the_vit_and_logistic_regression_has_no_units():
    with pytest.raises(alignment.AlignError, match="activation matching is not implemented for model 'vit'"):
        setting = {**BASE, "model": "vit"}
        s = initial_state(setting, 0)
        activation_matching(setting, s, s, resident.Split(torch.zeros(2, 1, 28, 28, dtype=torch.uint8),
                                                          torch.zeros(2, dtype=torch.long)), "cpu")
    logistic = {**BASE, "model": "linear", "depth": 1}
    assert alignment.perm_spec(logistic).sizes == {}
    s = initial_state(logistic, 0)
    assert alignment.weight_matching(logistic, s, s, seed=0) == ({}, 1)
