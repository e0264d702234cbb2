"""The two-parameter toy example (lmc.analyses.toy) and the path shapes
(lmc.analyses.geometry_over_training.shape)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmc.analyses import toy
from lmc.analyses.geometry_over_training import shape
from lmc.report import toy as toy_report


def test_the_two_minima_are_one_function_and_the_diagonal_is_their_mirror():
    x, y = toy.toy_data(0)
    w = torch.tensor([[3.0, 0.7], [0.2, 1.9], [4.0, 0.5]], dtype=torch.float64)
    assert torch.allclose(toy.toy_loss(w, x, y), toy.toy_loss(w.flip(-1), x, y), rtol=0, atol=1e-15)
    # the teacher's weights fit better than any point of the diagonal
    diagonal = torch.linspace(0.0, 5.0, 101, dtype=torch.float64)[:, None].repeat(1, 2)
    teacher = torch.tensor(toy.TEACHER, dtype=torch.float64)
    assert toy.toy_loss(teacher, x, y) < toy.toy_loss(diagonal, x, y).min()


def test_runs_stepped_together_get_the_numbers_they_get_alone():
    x, y = toy.toy_data(0)
    start = torch.tensor([[0.3, 0.3], [1.0, 0.2], [0.5, 2.0]], dtype=torch.float64)
    together = toy.sgd(start, x, y, [11, 12, 13], 200)
    for r, seed in enumerate((11, 12, 13)):
        alone = toy.sgd(start[r:r + 1], x, y, [seed], 200)
        assert torch.equal(together[:, r], alone[:, 0])


def test_without_noise_a_run_from_the_diagonal_stays_on_it(monkeypatch):
    monkeypatch.setattr(toy, "DROPOUT", 0.0)
    x, y = toy.toy_data(0)
    path = toy.sgd(torch.tensor([toy.START], dtype=torch.float64), x, y, [5], 400)
    assert torch.equal(path[:, 0, 0], path[:, 0, 1])      # every gradient symmetric: the tie never breaks
    assert not torch.equal(path[-1, 0], path[0, 0])


def test_path_record_derivatives_and_prediction():
    x, y = toy.toy_data(0)
    a = torch.tensor([2.6, 0.5], dtype=torch.float64)
    b = torch.tensor([0.5, 2.6], dtype=torch.float64)
    rec = toy.path_record(a, b, x, y)

    def ell(t):
        return float(toy.toy_loss(a + t * (b - a), x, y))

    h = 1e-4
    curvature = (ell(0.5 + h) - 2 * ell(0.5) + ell(0.5 - h)) / h**2
    assert rec["curvature_mid"] == pytest.approx(curvature, rel=1e-4)
    assert rec["loss_barrier_mid"] == pytest.approx(ell(0.5) - (ell(0) + ell(1)) / 2, rel=1e-12)
    # mirror images: opposite basins, a crest on the diagonal explains the barrier
    assert not rec["same_basin"] and rec["loss_barrier_mid"] > 0.01 and rec["shape"] == "ridge"
    assert rec["loss_barrier_max"] >= rec["loss_barrier_mid"]


def test_the_noise_decides_the_basin_from_the_start_and_not_after_a_long_trunk():
    result = toy.toy_barrier(seed=0, pairs=8, spawn_steps=[0, 1000])
    pairs = result["pairs"]
    at = {k: g for k, g in pairs.groupby("spawn_step")}
    assert (~at[0]["same_basin"]).sum() >= 2 and (~at[1000]["same_basin"]).sum() == 0
    split = at[0][~at[0]["same_basin"]]
    together = at[0][at[0]["same_basin"]]
    assert split["loss_barrier_mid"].min() > 10 * max(together["loss_barrier_mid"].max(), 1e-6)
    assert set(result["shown"]) == {0, 1000}
    shown = pairs[(pairs["spawn_step"] == 0) & (pairs["pair"] == result["shown"][0]["pair"])]
    assert not shown["same_basin"].iloc[0]              # the figure shows a pair the noise split
    table = toy_report.summary(pairs)
    assert list(table["opposite_basins"]) == [int((~at[0]["same_basin"]).sum()), 0]


@pytest.mark.parametrize("barrier, curvature_mid, expected", [
    (0.0, -1.0, "none"), (-0.01, 0.5, "none"),
    (0.1, -0.8, "ridge"),                 # −ℓ″/8 = 0.1: the whole barrier
    (0.1, -0.4, "ridge"),                 # exactly half
    (0.1, -0.39, "mountainside"), (0.1, 0.3, "mountainside"),
])
def test_shape(barrier, curvature_mid, expected):
    assert shape(barrier, curvature_mid) == expected


def test_toy_render_writes_every_file(tmp_path):
    keys = ("md", "tex", "csv", "html", "fig_png", "fig_pdf", "pairs")
    outputs = {k: str(tmp_path / f"toy.{k}") for k in keys}
    table = toy_report.render(seed=1, pairs=3, spawn_steps=[100, 0], outputs=outputs)
    md = (tmp_path / "toy.md").read_text()
    assert "| 0 | 3 |" in md and "| 100 | 3 |" in md and "dropout 0.1" in md
    assert (tmp_path / "toy.fig_png").stat().st_size > 20000
    assert np.isfinite(table.numbers["loss_barrier_mean"]).all()
