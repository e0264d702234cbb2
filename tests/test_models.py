"""The extra architectures of Figure 2 / Table 3: CNN, its locally connected and MLP
(Toeplitz) twins, and the ViT-like single-attention model."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.func import functional_call

from lmc.data import resident
from lmc.nn import stacked
from lmc.nn.models import MLP, build_model, parameter_count, table3_counts
from lmc.nn.patch_models import CNN, AttentionViT, LocallyConnected, toeplitz_twins, toeplitz_width
from lmc.train import loop
from lmc.train import settings as train_settings

MNIST, CIFAR = (1, 28, 28), (3, 32, 32)
PAPER_CONV = {"channels": 128, "kernel": 4}                       # Table 3 / Figure 2
PAPER_VIT = {"patch": 4, "heads": 8, "head_dim": 48}              # App. D "ViT-like MLP"
# Small settings: same code paths, fast on 2 CPU cores.
SMALL = {"cnn": {"channels": 6, "kernel": 4}, "lcn": {"channels": 6, "kernel": 4},
         "vit": {"patch": 7, "heads": 2, "head_dim": 4}}


def _build(kind: str, params: dict, shape, classes: int = 10) -> nn.Module:
    return build_model({"model": kind, "init": "torch_default", "init_scale": 1.0, **params}, shape, classes)


@pytest.mark.parametrize("shape", [MNIST, CIFAR])
@pytest.mark.parametrize("kind", ["cnn", "lcn", "vit", "mlp_twin"])
def test_forward_shape_paper_sizes(kind, shape):
    torch.manual_seed(0)
    if kind == "mlp_twin":
        model = MLP(math.prod(shape), 10, 2, toeplitz_width(shape, **PAPER_CONV), slope=0.0)
    else:
        model = _build(kind, PAPER_VIT if kind == "vit" else PAPER_CONV, shape)
    out = model(torch.randn(3, *shape))
    assert out.shape == (3, 10)
    assert torch.isfinite(out).all()
    # nothing that training could mutate: no buffer in any state dict
    assert not any(k in model.state_dict() for k, _ in model.named_buffers())


def test_table3_counts_match_paper():
    counts = table3_counts(CIFAR, 10, vit_setting=PAPER_VIT, **PAPER_CONV)
    print(f"\nCIFAR-10 counts: {counts}; paper: CNN 0.09M, LC-CNN 0.48M, MLP 25.26M, ViT ~1.08M")
    # Paper's Table 3, rounded to 2 decimals in millions.
    assert round(counts["cnn"] / 1e6, 2) == 0.09
    assert round(counts["lcn"] / 1e6, 2) == 0.48
    assert round(counts["mlp"] / 1e6, 2) == 25.26
    # Exact, by hand: conv 128*3*16 + 128, LC 64 positions of that + 64*128 biases,
    # MLP twin 3072 -> 8192 -> 10; classifier 8192*10 + 10 in all three.
    head = 128 * 64 * 10 + 10
    assert counts["cnn"] == 128 * 48 + 128 + head == 88_202
    assert counts["lcn"] == 64 * 128 * 48 + 64 * 128 + head == 483_338
    assert counts["mlp"] == 3072 * 8192 + 8192 + head == 25_255_946
    # They agree with the models the trainer builds.
    assert counts["cnn"] == parameter_count(_build("cnn", PAPER_CONV, CIFAR))
    assert counts["lcn"] == parameter_count(_build("lcn", PAPER_CONV, CIFAR))


def test_vit_count_beside_paper():
    """The paper's ~1.08M cannot be met by a model that follows its text (see the
    AttentionViT docstring), so no tolerance around 1.08M would be honest. Instead the
    count is asserted exactly against a hand decomposition, and the known gap to the
    paper (0.44M, about an MLP part 384 -> 576 -> 384) is pinned, so that a change to
    the architecture that moves the count shows up here and in the report."""
    count = table3_counts(CIFAR, 10, vit_setting=PAPER_VIT, **PAPER_CONV)["vit"]
    d, tokens = 384, 64 + 1
    by_hand = ((48 * d + d) + d + tokens * d + 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d
               + (d * 10 + 10))
    print(f"\nViT-like (CIFAR-10, patch 4, 8x48): {count:,} = {count / 1e6:.2f}M  (paper: ~1.08M)")
    assert count == by_hand == 640_906
    assert count == parameter_count(_build("vit", PAPER_VIT, CIFAR))
    assert 0.43e6 < 1.08e6 - count < 0.45e6


@pytest.mark.parametrize("shape,kernel", [(MNIST, 4), (MNIST, 3), (CIFAR, 4), (CIFAR, 5)])
def test_toeplitz_correspondence(shape, kernel):
    """CNN, LC-CNN with the kernel repeated at every position, and the MLP with the
    Toeplitz-embedded first layer compute the same function (kernels 3 and 5 leave
    uncovered border pixels, which all three must ignore)."""
    torch.manual_seed(1)
    channels = 5
    cnn = CNN(shape, 10, channels, kernel).double()
    with torch.no_grad():
        cnn.conv.bias.normal_()                  # non-zero biases, so their layout is tested too
        cnn.classifier.bias.normal_()
    lcn_state, mlp_state = toeplitz_twins(cnn.state_dict(), shape)
    lcn = LocallyConnected(shape, 10, channels, kernel).double()
    mlp = MLP(math.prod(shape), 10, 2, toeplitz_width(shape, channels, kernel), slope=0.0).double()
    lcn.load_state_dict(lcn_state)
    mlp.load_state_dict(mlp_state)
    x = torch.randn(7, *shape, dtype=torch.float64)
    ref = cnn(x)
    torch.testing.assert_close(lcn(x), ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(mlp(x), ref, rtol=1e-10, atol=1e-10)
    # The dense matrix is a Toeplitz embedding: exactly C*k*k non-zeros per row.
    assert (mlp_state["layers.0.weight"] != 0).sum(1).max() <= shape[0] * kernel * kernel


def test_lcn_unshared_kernels_match_unfold():
    """With independent weights at each position (the case the twin test cannot see),
    the LC layer matches a reference built on F.unfold."""
    torch.manual_seed(2)
    model = LocallyConnected(CIFAR, 10, 4, 4).double()
    with torch.no_grad():
        model.bias.normal_()
    x = torch.randn(3, *CIFAR, dtype=torch.float64)
    cols = nn.functional.unfold(x, 4, stride=4)                         # [B, C*k*k, P]
    hidden = torch.einsum("bip,poi->bop", cols, model.weight) + model.bias
    ref = model.classifier(torch.relu(hidden).flatten(1))
    torch.testing.assert_close(model(x), ref, rtol=1e-10, atol=1e-10)


def test_vit_attention_matches_torch_multihead():
    """The hand-written attention (the class token's query only: nothing else reaches the
    classifier) equals full nn.MultiheadAttention with the same weights, read at the class
    token: the same logits and the same gradient for every parameter."""
    torch.manual_seed(3)
    model = AttentionViT(CIFAR, 10, patch=4, heads=4, head_dim=6).double()
    x = torch.randn(3, *CIFAR, dtype=torch.float64)
    mha = nn.MultiheadAttention(24, 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(model.qkv.weight)
        mha.in_proj_bias.copy_(model.qkv.bias)
        mha.out_proj.weight.copy_(model.proj.weight)
        mha.out_proj.bias.copy_(model.proj.bias)
    cols = nn.functional.unfold(x, 4, stride=4).transpose(1, 2)    # [B, 64, 48]
    tokens = model.embed(cols)
    tokens = torch.cat([model.cls_token.expand(3, 1, 24), tokens], 1) + model.pos
    h = model.norm_attn(tokens)
    out, _ = mha(h, h, h, need_weights=False)
    ref = model.head(model.norm_out(out[:, 0]))
    ref.square().sum().backward()
    ref_grads = {k: torch.zeros_like(p) if p.grad is None else p.grad.clone()
                 for k, p in model.named_parameters()}
    ref_grads["qkv.weight"] = ref_grads["qkv.weight"] + mha.in_proj_weight.grad
    ref_grads["qkv.bias"] = ref_grads["qkv.bias"] + mha.in_proj_bias.grad
    ref_grads["proj.weight"] = ref_grads["proj.weight"] + mha.out_proj.weight.grad
    ref_grads["proj.bias"] = ref_grads["proj.bias"] + mha.out_proj.bias.grad
    model.zero_grad()
    logits = model(x)
    torch.testing.assert_close(logits, ref, rtol=1e-10, atol=1e-10)
    logits.square().sum().backward()
    for k, p in model.named_parameters():
        torch.testing.assert_close(p.grad, ref_grads[k], rtol=1e-9, atol=1e-12, msg=k)


@pytest.mark.parametrize("kind", ["cnn", "lcn", "vit"])
def test_stacked_members_match_individual_runs(kind):
    """Two members stacked under vmap give each member's own logits and gradients."""
    model = _build(kind, SMALL[kind], MNIST)
    states = []
    for seed in (10, 11):
        torch.manual_seed(seed)
        states.append({k: v.detach().clone()
                       for k, v in _build(kind, SMALL[kind], MNIST).state_dict().items()})
    params = {k: v.requires_grad_() for k, v in stacked.stack_states(states, "cpu").items()}
    x = torch.randn(2, 5, *MNIST)
    y = torch.randint(0, 10, (2, 5))

    logits = stacked.batched_forward(model)(params, x)                  # [2, 5, 10]
    nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(),
                                reduction="none").view(2, -1).mean(1).sum().backward()
    shared = stacked.batched_forward(model, shared_input=True)({k: v.detach() for k, v in params.items()},
                                                               x[0])
    for m, state in enumerate(states):
        own = {k: v.clone().requires_grad_() for k, v in state.items()}
        alone = functional_call(model, own, (x[m],))
        nn.functional.cross_entropy(alone, y[m]).backward()
        torch.testing.assert_close(logits[m], alone, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(shared[m], functional_call(model, state, (x[0],)), rtol=1e-5, atol=1e-5)
        for k in state:
            torch.testing.assert_close(params[k].grad[m], own[k].grad, rtol=1e-4, atol=1e-6)


def _setting(kind: str) -> dict:
    return train_settings.canonical(
        {"dataset": "mnist", "model": kind, "optimizer": "sgd", "lr": 0.01, "momentum": 0.9,
         "batch_size": 16, "epochs": 1, "warmup_fraction": 0.0, "schedule": "constant",
         "weight_decay": 0.0, "augment": False, "seed": 0, "init": "torch_default",
         "init_scale": 1.0, **SMALL[kind]})


@pytest.mark.parametrize("kind", ["cnn", "lcn", "vit"])
def test_train_members_one_epoch(kind):
    setting = _setting(kind)
    gen = torch.Generator().manual_seed(4)
    tr = resident.Split(torch.randint(0, 256, (48, *MNIST), dtype=torch.uint8, generator=gen),
                        torch.randint(0, 10, (48,), generator=gen))
    te = resident.Split(torch.randint(0, 256, (20, *MNIST), dtype=torch.uint8, generator=gen),
                        torch.randint(0, 10, (20,), generator=gen))
    init = loop.initial_state(setting, init_seed=5)
    result = loop.train_members(setting, init, [1, 2], tr, te, "cpu")
    assert len(result.metrics) == 2 and not any(result.diverged)
    assert result.metrics[["train_loss", "test_loss"]].notna().all().all()
    for member in result.members:
        assert member.keys() == init.keys()
        assert any(not torch.equal(member[k], init[k]) for k in init)    # it trained
    # Different data orders from one init: the two members end apart.
    assert any(not torch.equal(result.members[0][k], result.members[1][k]) for k in init)


# ---------------------------------------------------------------- the stacked MLP
def _members(slopes, depth=3, width=24, seed=0):
    """MLP members of one architecture, each from its own seed, stacked [M, ...]."""
    models = []
    for m, _ in enumerate(slopes):
        torch.manual_seed(seed + m)
        models.append(MLP(math.prod(MNIST), 10, depth, width, slope=slopes[0]).double())
    states = [{k: v.detach() for k, v in mdl.state_dict().items()} for mdl in models]
    return models[0], stacked.stack_states(states, "cpu")


@pytest.mark.parametrize("slopes", [[0.0, 0.0, 0.0], [0.3, 0.3], [1.0, 1.0], [0.0, 0.5, 0.99]])
def test_stacked_mlp_matches_each_member_alone_forward_and_backward(slopes):
    """`MLP.stacked_forward` (baddbmm, StackedLinear's hand-written backward, one slope or one
    per member) gives every member the logits and gradients of its own plain forward."""
    model, params = _members(slopes)
    per_member = len(set(slopes)) > 1
    inputs = dict(params)
    if per_member:
        inputs["negative_slope"] = torch.tensor(slopes, dtype=torch.float64)
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    x = torch.randn(len(slopes), 7, *MNIST, dtype=torch.float64)
    y = torch.randint(0, 10, (len(slopes), 7))
    logits = model.stacked_forward({**inputs, **leaves}, x)
    losses = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
    losses.view(len(slopes), -1).mean(1).sum().backward()
    for m, slope in enumerate(slopes):
        model.slope = slope
        own = {k: v[m].clone().requires_grad_() for k, v in params.items()}
        out = functional_call(model, own, (x[m],))
        nn.functional.cross_entropy(out, y[m]).backward()
        torch.testing.assert_close(logits[m], out, rtol=1e-12, atol=1e-12)
        for k in own:
            torch.testing.assert_close(leaves[k].grad[m], own[k].grad, rtol=1e-10, atol=1e-12)


def test_stacked_forward_on_shared_input_is_every_member_on_it():
    """Evaluation's form: one batch seen by every member (`shared_input`)."""
    model, params = _members([0.0, 0.0])
    x = torch.randn(5, *MNIST, dtype=torch.float64)
    both = stacked.batched_forward(model, shared_input=True)(params, x)
    for m in range(2):
        alone = functional_call(model, {k: v[m] for k, v in params.items()}, (x,))
        torch.testing.assert_close(both[m], alone)


def test_leaky_relu_forms_agree_on_values_forward_and_back():
    """The fused ReLU / Leaky-ReLU kernels and the per-member where-form (a bundle of slopes)
    give equal values and gradients; only the sign of a zero may differ, which == ignores
    and no later sum or update can see."""
    from lmc.nn.models import leaky_relu

    x = torch.tensor([-2.0, -0.5, 0.0, 0.25, 3.0])
    for slope in (0.0, 0.1, 0.99, 1.0):
        a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
        fused, where = leaky_relu(a, slope), leaky_relu(b, torch.tensor(slope))
        assert torch.equal(fused, where), slope
        g = torch.tensor([1.0, -1.0, 2.0, -3.0, 0.5])
        fused.backward(g)
        where.backward(g)
        assert torch.equal(a.grad, b.grad), slope
