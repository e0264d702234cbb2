"""Real `snakemake` runs of the training-dynamics artefacts (instability, barrier over
time) on the fabricated dataset, their bad input, and their resumption after a kill."""

from __future__ import annotations

import filecmp
import json

import pandas as pd
import pytest
from conftest import Workflow, jobs_per_rule, tiny_config

from lmc.evaluate import barrier
from lmc.util import io

POINTS = [0, 0.5, 1]  # epochs; 512 images at batch 64: steps 0, 4, 8 of 16
SNAPSHOTS = [1, 2]


def dynamics_config(digits, **overrides):
    """The tiny config with one setting (Adam with warm-up over a quarter of training, so
    spawning continues the warm-up) under both dynamics artefacts."""
    cfg = tiny_config(digits)
    setup = {"label": "ADAM ↑Lr + W-up", "optimizer": "adam", "lr": 0.005, "warmup_fraction": 0.25}
    spec = {"base": cfg["artefacts"]["table2"]["base"], "grid": [[setup]]}
    cfg["artefacts"] = {
        "instability": {**spec, "spawn": {"unit": "epochs", "points": POINTS}, "analyses": ["derivatives"]},
        "barrier_over_time": {**spec, "snapshot_epochs": SNAPSHOTS, "analyses": ["derivatives"]},
    }
    cfg["analysis"]["toy"] = {"seed": 0, "pairs": 3, "spawn_steps": [0, 100]}
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope="module")
def dynamics_workflow(tmp_path_factory, digits_folder):
    wf = Workflow(tmp_path_factory.mktemp("dynamics") / "wf")
    wf.write_config(dynamics_config(digits_folder))
    wf.snakemake("--cores", "2", "instability", "barrier_over_time", "geometry_over_training", "toy_barrier",
                 timeout=1800)
    return wf


def test_instability_sweep_reuses_the_pair_at_zero_and_spawns_the_rest(dynamics_workflow):
    res = dynamics_workflow.path / "results"
    agg = pd.read_csv(res / "barriers/instability.csv")
    assert len(agg) == len(POINTS) * 2  # points x pairs
    assert sorted(set(agg["spawn_point"])) == POINTS and sorted(set(agg["spawn_step"])) == [0, 4, 8]
    for _, row in agg.iterrows():
        folder = res / "runs" / row["run_id"]
        if row["spawn_point"] == 0:  # the pair itself, not retrained
            path = folder / f"pair{row['pair']}/interpolation.csv"
        else:
            path = folder / f"spawn/epoch{row['spawn_point']:g}/pair{row['pair']}/interpolation.csv"
        summary = barrier.pair_summary(pd.read_csv(path), False)
        assert row["test_error_barrier"] == pytest.approx(summary["test_error_barrier"], abs=1e-9)
    run = agg["run_id"].iloc[0]
    assert not (res / "runs" / run / "spawn/epoch0").exists()
    seeds = json.loads((res / "runs" / run / "spawn/epoch0.5/pair0/seeds.json").read_text())
    assert seeds["spawn_step"] == 4 and seeds["spawn_point"] == "epoch0.5"
    assert len({seeds["order_seed_a"], seeds["order_seed_b"], seeds["order_seed_trunk"]}) == 3
    own = json.loads((res / "runs" / run / "pair0/seeds.json").read_text())
    assert {k: own[k] for k in ("init_seed", "order_seed_a", "order_seed_b")} == {
        k: seeds[k] for k in ("init_seed", "order_seed_a", "order_seed_b")
    }
    trunk = io.load_state(res / "runs" / run / "spawn/epoch0.5/trunk.pt")
    assert trunk["step"] == 4 and trunk["pairs"] == [0, 1]
    # A and B of a spawned pair trained the remaining 12 steps: a full last epoch and a partial first one
    metrics = pd.read_csv(res / "runs" / run / "spawn/epoch0.5/pair0/metrics.csv")
    assert sorted(set(metrics["epoch"])) == [1, 2] and set(metrics["member"]) == {"a", "b"}
    md = (res / "tables/instability.md").read_text()
    assert "k = 0.5" in md and "ADAM ↑Lr + W-up: %B_test" in md
    for ext in ("png", "pdf"):
        assert (res / f"figures/instability.{ext}").stat().st_size > 5000


def test_barrier_over_time_ends_at_the_final_barrier(dynamics_workflow):
    res = dynamics_workflow.path / "results"
    agg = pd.read_csv(res / "barriers/barrier_over_time.csv")
    assert len(agg) == 2 * len(SNAPSHOTS) and sorted(set(agg["epoch"])) == SNAPSHOTS
    last = agg[agg["epoch"] == max(SNAPSHOTS)]
    for _, row in last.iterrows():
        pair = res / "runs" / row["run_id"] / f"pair{row['pair']}"
        final = barrier.pair_summary(pd.read_csv(pair / "interpolation.csv"), False)
        for key in ("test_error_barrier", "train_error_barrier", "test_loss_barrier", "test_acc_a"):
            assert row[key] == pytest.approx(final[key], abs=1e-12), key
        assert filecmp.cmp(pair / "a.pt", pair / f"snapshots/a_e{max(SNAPSHOTS)}.pt", shallow=False)
    pair = res / "runs" / agg["run_id"].iloc[0] / "pair0"  # training went on after epoch 1
    assert not filecmp.cmp(pair / "a.pt", pair / "snapshots/a_e1.pt", shallow=False)
    assert "t = 1" in (res / "tables/barrier_over_time.md").read_text()
    assert (res / "figures/barrier_over_time.png").stat().st_size > 5000


def test_geometry_over_training_agrees_with_the_paths_and_the_pairs(dynamics_workflow):
    """The derivatives at every snapshot epoch and spawn point: ℓ at 0, ½, 1 equal to the
    snapshot path's train losses, the last snapshot's record equal to the pair's own (two
    jobs, one network), the distances about the spawn point's trunk, and the render."""
    res = dynamics_workflow.path / "results"
    frame = pd.read_csv(res / "barriers/geometry_over_training_pairs.csv")
    assert len(frame) == 2 * (len(SNAPSHOTS) + len(POINTS))            # pairs x points
    assert set(frame["shape"]) <= {"none", "mountainside", "ridge"}
    run = frame["run_id"].iloc[0]
    for k in (0, 1):
        pair = res / "runs" / run / f"pair{k}"
        paths = pd.read_csv(pair / "snapshots/interpolation.csv")
        for t in SNAPSHOTS:
            rec = json.loads((pair / f"snapshots/derivatives_e{t}.json").read_text())
            train = paths[(paths["epoch"] == t) & (paths["split"] == "train")].set_index("alpha")["loss"]
            assert rec["loss"] == pytest.approx([train[0.0], train[0.5], train[1.0]], rel=1e-5)
            assert rec["reference"] == "init"
        last = json.loads((pair / f"snapshots/derivatives_e{max(SNAPSHOTS)}.json").read_text())
        own = json.loads((pair / "derivatives.json").read_text())
        for key in ("loss", "slope", "curvature", "delta_norm", "init_angle_deg"):
            assert last[key] == pytest.approx(own[key], rel=1e-9, abs=1e-12), key
        # a spawn point: distances about the trunk's Θ_k, not about Θ₀
        spawned = res / "runs" / run / f"spawn/epoch0.5/pair{k}"
        rec = json.loads((spawned / "derivatives.json").read_text())
        trunk = io.load_state(res / "runs" / run / "spawn/epoch0.5/trunk.pt")
        a = io.load_weights(spawned / "a.pt")
        theta_k = {n: v[trunk["pairs"].index(k)] for n, v in trunk["params"].items()}
        dist = sum(((a[n].double() - theta_k[n].double()) ** 2).sum() for n in a) ** 0.5
        assert rec["reference"] == "trunk" and rec["init_dist_a"] == pytest.approx(float(dist), rel=1e-9)
        row = frame[(frame["kind"] == "spawn") & (frame["pair"] == k) & (frame["x"] == 0.5)].iloc[0]
        loss = rec["loss"]
        assert row["loss_barrier_mid"] == pytest.approx(loss[1] - (loss[0] + loss[2]) / 2)
    toy = pd.read_csv(res / "barriers/toy_barrier_pairs.csv")
    assert sorted(set(toy["spawn_step"])) == [0, 100] and len(toy) == 6
    assert "seed 0" in (res / "tables/toy_barrier.md").read_text()
    md = (res / "tables/geometry_over_training.md").read_text()
    assert "t = 1" in md and "k = 0.5 epochs" in md and "ADAM ↑Lr + W-up" in md
    assert (res / "figures/geometry_over_training.png").stat().st_size > 5000


def test_nothing_to_do_afterwards_and_lint_clean(dynamics_workflow):
    assert "Nothing to be done" in dynamics_workflow.snakemake(
        "-n", "instability", "barrier_over_time", "geometry_over_training").stdout
    proc = dynamics_workflow.snakemake("--lint")
    assert "Lints for" not in proc.stdout + proc.stderr


def test_a_new_spawn_point_retrains_the_sweep_not_the_pairs(dynamics_workflow, digits_folder):
    wf = dynamics_workflow
    cfg = dynamics_config(digits_folder)
    cfg["artefacts"]["instability"]["spawn"]["points"] = POINTS + [1.5]
    wf.write_config(cfg, "more.yaml")
    jobs = jobs_per_rule(wf.snakemake("-n", "instability", "--configfile", "more.yaml").stdout)
    # one trunk job saves every state, so its states are rewritten (same bytes) and every k > 0 re-runs,
    # all points of the setting in one job each (training, paths); the pairs (k = 0, snapshots) are untouched
    assert jobs.get("spawn_trunk") == jobs.get("spawn_pairs") == jobs.get("interpolate_spawned") == 1, jobs
    assert not {"train_setting", "train_setting_snapshots", "interpolate"} & set(jobs), jobs


BAD = {
    "spawn point beyond the end": (
        {"points": [0, 1, 2]},
        None,
        "config error at artefacts.instability.spawn.points: spawn point 2 epochs is "
        "not before the end of training",
    ),
    "unsorted spawn points": (
        {"points": [0, 1, 0.5]},
        None,
        "config error at artefacts.instability.spawn.points: [0.0, 1.0, 0.5] must ascend",
    ),
    "duplicate spawn points": (
        {"points": [0, 0.5, 0.5]},
        None,
        "config error at artefacts.instability.spawn.points: [0.0, 0.5, 0.5] must ascend",
    ),
    "fractional steps": (
        {"unit": "steps", "points": [0, 2.5]},
        None,
        "config error at artefacts.instability.spawn.points: [0.0, 2.5] are not whole steps",
    ),
    "unknown unit": ({"unit": "minutes"}, None, "config error at artefacts.instability.spawn.unit"),
    "snapshot epoch 0": (
        None,
        [0, 1],
        "config error at artefacts.barrier_over_time.snapshot_epochs: epoch 0 is outside 1..2",
    ),
    "snapshot epoch beyond the end": (
        None,
        [1, 3],
        "config error at artefacts.barrier_over_time.snapshot_epochs: epoch 3 is outside 1..2",
    ),
    "unsorted snapshot epochs": (
        None,
        [2, 1],
        "config error at artefacts.barrier_over_time.snapshot_epochs: [2.0, 1.0] must ascend",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_spawn_or_snapshot_config_stops_with_one_line(dynamics_workflow, case):
    import yaml

    wf = dynamics_workflow
    spawn, shots, expected = BAD[case]
    override = {"artefacts": {}}
    if spawn is not None:
        override["artefacts"]["instability"] = {"spawn": {"unit": "epochs", "points": POINTS, **spawn}}
    if shots is not None:
        override["artefacts"]["barrier_over_time"] = {"snapshot_epochs": shots}
    (wf.path / "bad.yaml").write_text(yaml.safe_dump(override))
    before = {p: p.stat().st_mtime_ns for p in (wf.path / "results").rglob("*") if p.is_file()}
    proc = wf.snakemake(
        "--cores", "1", "instability", "barrier_over_time", "--configfile", "bad.yaml", check=False
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("config error")]
    assert len(lines) == 1 and expected in lines[0], proc.stderr[-2000:]
    after = {p: p.stat().st_mtime_ns for p in (wf.path / "results").rglob("*") if p.is_file()}
    assert after == before, "a bad config must not touch computed results"
