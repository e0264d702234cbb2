"""Path derivatives and the barrier predictors (lmc.analyses.path_derivatives): the predictors are
exact where they say they are; ℓ′ and ℓ″ from forward-mode along α agree with finite
differences of the path, with autograd's gradient and double backward, per pair alone, and
per layer."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.func import functional_call

from lmc.analyses.path_derivatives import path_derivatives, predicted_barriers, spawn_geometry
from lmc.nn import stacked
from lmc.nn.models import MLP


def _poly_derivatives(coef):
    """ℓ(α) = Σ c_i α^i: value, ℓ′, ℓ″ at α as functions."""
    def value(a, d=0):
        total = 0.0
        for i, c in enumerate(coef):
            if i >= d:
                k = 1
                for j in range(d):
                    k *= i - j
                total += c * k * a ** (i - d)
        return total
    return value


@pytest.mark.parametrize("coef, exact", [
    ([0.3, -1.0, 2.0], {"cubic", "quintic", "midpoint"}),            # a quadratic loss
    ([0.1, 0.5, -0.7, 1.3], {"cubic", "quintic", "midpoint"}),       # cubic
    ([0.0, 0.2, 0.1, -0.4, 0.9, -1.1], {"quintic"}),                 # quintic
])
def test_predictors_are_exact_on_the_polynomials_they_claim(coef, exact):
    ell = _poly_derivatives(coef)
    true = ell(0.5) - (ell(0.0) + ell(1.0)) / 2
    t = lambda v: torch.tensor([v], dtype=torch.float64)            # noqa: E731
    pred = predicted_barriers(t(ell(0, 1)), t(ell(1, 1)), t(ell(0, 2)), t(ell(1, 2)), t(ell(0.5, 2)))
    for form, value in pred.items():
        if form in exact:
            assert value.item() == pytest.approx(true, abs=1e-12), form
        else:
            assert value.item() != pytest.approx(true, abs=1e-6), form   # the claim is not vacuous


def _pairs(count=2, seed=0, std=0.6, slope=0.1):
    torch.manual_seed(seed)
    model = MLP(12, 3, depth=3, width=7, slope=slope).double()
    states = []
    for _ in range(2 * count):
        for p in model.parameters():
            nn.init.normal_(p, std=std)
        states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
    a = stacked.stack_states(states[0::2], "cpu")
    b = stacked.stack_states(states[1::2], "cpu")
    x = torch.randn(50, 12, dtype=torch.float64)
    y = torch.randint(0, 3, (50,))
    return model, a, b, x, y


def _path_loss(model, a, b, alpha, x, y, p=0):
    params = {k: (1 - alpha) * a[k][p] + alpha * b[k][p] for k in a}
    return nn.functional.cross_entropy(functional_call(model, params, (x,)), y)


def test_slope_and_curvature_agree_with_finite_differences_and_double_backward():
    model, a, b, x, y = _pairs()
    alphas = (0.0, 0.5, 1.0)
    d = path_derivatives(model, a, b, x, y, lambda v: v, alphas, batch_size=17)   # chunks: 17+17+16
    h = 1e-4
    for p in range(2):
        for j, al in enumerate(alphas):
            f = [_path_loss(model, a, b, al + s * h, x, y, p).item() for s in (-1, 0, 1)]
            assert d["loss"][p, j].item() == pytest.approx(f[1], rel=1e-12)
            assert d["slope"][p, j].item() == pytest.approx((f[2] - f[0]) / (2 * h), rel=1e-6)
            assert d["curvature"][p, j].item() == pytest.approx((f[2] - 2 * f[1] + f[0]) / h ** 2, rel=1e-4)
        # autograd: ℓ′(0) = <∇L(A), Δ>, ℓ″(0) = Δᵀ H Δ by double backward, ‖∇L(A)‖
        params = {k: a[k][p].clone().requires_grad_() for k in a}
        loss = nn.functional.cross_entropy(functional_call(model, params, (x,)), y)
        g = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        delta = [b[k][p] - a[k][p] for k in a]
        directional = sum((gi * di).sum() for gi, di in zip(g, delta))
        hessian = torch.autograd.grad(directional, list(params.values()))
        assert d["slope"][p, 0].item() == pytest.approx(directional.item(), rel=1e-10)
        assert d["curvature"][p, 0].item() == pytest.approx(sum((hi * di).sum() for hi, di in
                                                                zip(hessian, delta)).item(), rel=1e-10)
        norm = lambda ts: torch.sqrt(sum((t ** 2).sum() for t in ts)).item()      # noqa: E731
        assert d["grad_norm_a"][p].item() == pytest.approx(norm(g), rel=1e-10)
        assert d["delta_norm"][p].item() == pytest.approx(norm(delta))


def test_the_eleven_point_path_agrees_at_its_own_resolution():
    """Differences on the 11-point grid interpolation evaluates (α = 0.3 ... 0.7 around ½,
    h = 0.1 and 0.2, Richardson-extrapolated: error O(h⁴)). On a deep linear net: along a
    ReLU net's path the activation pattern changes at kinks, which differences over 0.1 see
    and derivatives at a point do not (docs/landscape.md)."""
    model, a, b, x, y = _pairs(count=1, seed=3, std=0.2, slope=1.0)
    d = path_derivatives(model, a, b, x, y, lambda v: v, (0.5,))
    f = {round(al, 1): _path_loss(model, a, b, al, x, y).item() for al in (0.3, 0.4, 0.5, 0.6, 0.7)}
    slope = {h: (f[round(0.5 + h, 1)] - f[round(0.5 - h, 1)]) / (2 * h) for h in (0.1, 0.2)}
    curve = {h: (f[round(0.5 + h, 1)] - 2 * f[0.5] + f[round(0.5 - h, 1)]) / h ** 2 for h in (0.1, 0.2)}
    assert d["slope"][0, 0].item() == pytest.approx((4 * slope[0.1] - slope[0.2]) / 3, rel=0.02)
    assert d["curvature"][0, 0].item() == pytest.approx((4 * curve[0.1] - curve[0.2]) / 3, rel=0.02)


def test_batched_pairs_get_the_numbers_they_get_alone_and_layers_add_up():
    model, a, b, x, y = _pairs(count=3, seed=1)
    layers = {f"layer{i}": [f"layers.{i}.weight", f"layers.{i}.bias"] for i in range(3)}
    both = path_derivatives(model, a, b, x, y, lambda v: v, (0.0, 1.0), layers=layers)
    for p in range(3):
        one = {k: v[p:p + 1] for k, v in a.items()}, {k: v[p:p + 1] for k, v in b.items()}
        alone = path_derivatives(model, *one, x, y, lambda v: v, (0.0, 1.0), layers=layers)
        for key, value in alone.items():
            torch.testing.assert_close(both[key][p:p + 1], value, rtol=1e-12, atol=1e-14)
    # at A, where every layer's path starts, the directional derivative is linear in Δ: the
    # layers' slopes add up to the path's (at α = 1 each layer's path ends elsewhere than B)
    at_a = both["layer_slope"][:, :, 0].sum(1)
    torch.testing.assert_close(at_a, both["slope"][:, 0], rtol=1e-10, atol=1e-12)
    # each layer's own path starts and ends at A for the other layers: at α = 0 it is A's loss
    torch.testing.assert_close(both["layer_loss"][:, :, 0], both["loss"][:, None, 0].expand(3, 3))


def test_spawn_geometry_measures_distances_and_the_angle():
    k = {"w": torch.zeros(2, 3)}
    a = {"w": torch.tensor([[1.0, 0, 0], [2.0, 0, 0]])}
    b = {"w": torch.tensor([[0.0, 2, 0], [4.0, 0, 0]])}
    g = spawn_geometry(a, b, k)
    assert g["dist_a"].tolist() == [1.0, 2.0] and g["dist_b"].tolist() == [2.0, 4.0]
    assert g["angle_deg"].tolist() == pytest.approx([90.0, 0.0], abs=1e-6)


def test_the_verdict_threshold_is_fitted_on_the_measured_barrier_and_scores_are_shares():
    import pandas as pd

    from lmc.analyses import barrier_prediction as bp

    measured = pd.Series([0.01, 0.02, 0.30, 0.50])
    assert bp.fitted_threshold(measured, pd.Series([True, True, False, False])) == pytest.approx(0.16)
    pairs = pd.DataFrame({"loss_barrier_mid": measured, "error_barrier": [0.5, 1.0, 3.0, 8.0],
                          "predicted_quintic": [0.0, 0.40, 0.35, 0.60],
                          "predicted_cubic": [0.01, 0.02, 0.3, 0.5],
                          "predicted_midpoint": [0.5, 0.4, 0.3, 0.2]})
    layers = pd.DataFrame({"loss_barrier_mid": [0.1, 0.2, 0.3], "predicted_taylor": [0.1, 0.3, 0.2]})
    summary = bp.agreement(pairs, layers).set_index("predictor")
    assert summary.loc["quintic", "verdicts_right"] == 0.75         # the second pair is called a barrier
    assert summary.loc["cubic", "verdicts_right"] == 1.0 and summary.loc["cubic", "spearman"] == 1.0
    assert summary.loc["midpoint", "spearman"] == -1.0 and summary.loc["midpoint", "verdicts_right"] == 0.5
    assert summary.loc["quintic", "verdicts_right_measured"] == 1.0
    assert summary.loc["quintic", "verdicts_right_majority"] == 0.5
    assert summary.loc["taylor", "spearman"] == pytest.approx(0.5)
    assert summary.loc["taylor", "median_abs_error"] == pytest.approx(0.1)


def test_a_layers_loss_only_points_are_its_path_losses():
    model, a, b, x, y = _pairs(count=2, seed=4)
    layers = {f"layer{i}": [f"layers.{i}.weight", f"layers.{i}.bias"] for i in range(3)}
    full = path_derivatives(model, a, b, x, y, lambda v: v, (0.0,), layers=layers, layer_alphas=(0.5, 0.25))
    cheap = path_derivatives(model, a, b, x, y, lambda v: v, (0.0,), layers=layers, layer_alphas=(0.0,),
                             layer_loss_alphas=(0.5, 0.25))
    torch.testing.assert_close(cheap["layer_loss_only"], full["layer_loss"], rtol=1e-10, atol=1e-12)
    assert cheap["layer_slope"].shape == (2, 3, 1)
