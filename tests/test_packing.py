"""Packed jobs: every pair of a setting in one training job, and bundles of settings
(`bundle: N`) as one computation, give each pair the bytes it gets alone (CPU)."""
from __future__ import annotations

import filecmp

import pytest
from conftest import job_outputs

from lmc import grid, train_job

FILES = ("init.pt", "a.pt", "b.pt", "metrics.csv", "seeds.json")


def setting(**kw):
    base = dict(dataset="mnist", model="mlp", depth=3, width=48, slope=0.0, optimizer="sgd", lr=0.05,
                momentum=0.9, adam_betas=[0.9, 0.999], batch_size=64, epochs=2, warmup_fraction=0.0,
                schedule="constant", weight_decay=0.0, augment="none", seed=0, init="torch_default",
                init_scale=1.0)
    base.update(kw)
    return grid.canonical(base)


def run_job(folder, settings, pairs, betons):
    seeds = [[grid.pair_seeds(s, k) for k in pairs] for s in settings]
    out = job_outputs(folder, pairs, len(settings))
    train_job.train_job(settings, seeds, betons, pairs, out, state_path=str(folder / "state.pt"),
                        device="cpu")
    return folder


def same_files(a, b, names=FILES):
    return [n for n in names if not filecmp.cmp(a / n, b / n, shallow=False)]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_packed_job_gives_each_pair_the_bytes_of_a_job_of_its_own(tmp_path, betons, optimizer):
    s = setting(optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 0.002, warmup_fraction=0.3)
    packed = run_job(tmp_path / "packed", [s], [0, 1, 2], betons)
    for k in (0, 2):
        alone = run_job(tmp_path / f"alone{k}", [s], [k], betons)
        assert same_files(packed / f"pair{k}", alone / f"pair{k}") == [], k
    assert filecmp.cmp(packed / "setting.json", tmp_path / "alone0" / "setting.json", shallow=False)


BUNDLE = {
    "sgd": [setting(lr=0.05), setting(lr=0.01, warmup_fraction=0.25), setting(lr=0.05, slope=0.3),
            setting(lr=0.02, momentum=0.5, init="kaiming_normal")],
    "adam": [setting(optimizer="adam", lr=0.001), setting(optimizer="adam", lr=0.004, warmup_fraction=0.2),
             setting(optimizer="adam", lr=0.001, adam_betas=[0.8, 0.99], slope=0.1)],
}


@pytest.mark.parametrize("optimizer", list(BUNDLE))
def test_a_bundle_gives_each_setting_the_bytes_it_gets_alone(tmp_path, betons, optimizer):
    settings = BUNDLE[optimizer]
    assert len({grid.bundle_signature(s) for s in settings}) == 1
    bundle = run_job(tmp_path / "bundle", settings, [0, 1], betons)
    for i, s in enumerate(settings):
        alone = run_job(tmp_path / f"alone{i}", [s], [0, 1], betons)
        for k in (0, 1):
            assert same_files(bundle / f"s{i}" / f"pair{k}", alone / f"pair{k}") == [], (i, k)
        assert filecmp.cmp(bundle / f"s{i}" / "setting.json", alone / "setting.json", shallow=False)
    again = run_job(tmp_path / "again", settings, [0, 1], betons)
    for i in range(len(settings)):
        assert same_files(bundle / f"s{i}" / "pair1", again / f"s{i}" / "pair1") == []


def test_a_bundle_refuses_settings_of_other_architectures(tmp_path, betons):
    with pytest.raises(ValueError, match="may differ only in lr, warmup_fraction"):
        run_job(tmp_path, [setting(), setting(width=64)], [0], betons)
