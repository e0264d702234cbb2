"""Packed jobs: every pair of a setting in one training job, and bundles of settings
(`bundle: N`) as one computation, give each pair the bytes it gets alone (CPU)."""
from __future__ import annotations

import filecmp
import subprocess
import sys

import pytest
from conftest import ROOT, Workflow, job_outputs, tiny_config

from lmc.config import cost, grid, resources
from lmc.jobs import train
from lmc.train import settings as train_settings
from lmc.util import pair_files

FILES = ("init.pt", "a.pt", "b.pt", "metrics.csv", "seeds.json")


def setting(**kw):
    base = dict(dataset="mnist", model="mlp", depth=3, width=48, slope=0.0, optimizer="sgd", lr=0.05,
                momentum=0.9, adam_betas=[0.9, 0.999], batch_size=64, epochs=2, warmup_fraction=0.0,
                schedule="constant", weight_decay=0.0, augment="none", seed=0, init="torch_default",
                init_scale=1.0)
    base.update(kw)
    return train_settings.canonical(base)


def run_job(folder, settings, pairs, betons):
    seeds = [[train_settings.pair_seeds(s, k) for k in pairs] for s in settings]
    out = job_outputs(folder, pairs, len(settings))
    train.train_job(settings, seeds, betons, pairs, out, state_path=str(folder / "state.pt"),
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
    assert len({train_settings.bundle_signature(s) for s in settings}) == 1
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


def test_a_resident_job_never_imports_ffcv(tmp_path, betons):
    """Convert's arrays are mapped instead of decoding the .beton (FFCV's import alone is
    ~6 s of every job's start-up)."""
    s = setting(epochs=1)
    seeds = [[train_settings.pair_seeds(s, 0)]]
    out = job_outputs(tmp_path, [0])
    code = (f"import sys\nfrom lmc.jobs import train, interpolate as interpolate_job\n"
            f"train.train_job([{s!r}], {seeds!r}, {dict(betons)!r}, [0], {out!r}, "
            f"state_path={str(tmp_path / 'state.pt')!r}, device='cpu')\n"
            f"interpolate_job.interpolate_job([{s!r}], [[({out['a_0_0']!r}, {out['b_0_0']!r})]], "
            f"{dict(betons)!r}, [0.0, 1.0], [[{str(tmp_path / 'path.csv')!r}]], device='cpu')\n"
            f"print(sorted(m for m in ('ffcv', 'numba', 'torchvision', 'matplotlib') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "path.csv").exists()


def test_every_runtime_request_covers_the_cost_estimate():
    """SLURM runtimes come from lmc.config.cost's FLOPs (the CNN, LC-CNN and ViT cost far more
    than 6 x params per sample): every configured setting's request covers its compute at
    the assumed CPU throughput, and a bundle's covers all its settings."""
    config = cost.load([str(ROOT / "config.yaml")])
    built = grid.built_artefacts(config)
    runs = grid.all_runs(config, built)
    pairs, points = config["pairs"], len(config["alphas"])
    for s in runs.values():
        c = cost.setting_cost(s, pairs, points)
        assert resources.train_runtime_min([s], pairs) * 60 >= c["train_flops"] / resources.ASSUMED_FLOPS
        evaluation = c["eval_flops"] / resources.ASSUMED_FLOPS
        assert resources.eval_runtime_min([s], points, pairs) * 60 >= evaluation
    vit = next(s for s in runs.values() if s["model"] == "vit")
    # the ViT of Figure 2 at 200 epochs: hours of CPU, not the 6 x params guess of minutes
    assert resources.train_runtime_min([vit], pairs) > 60 * 24
    config["bundle"] = 8
    for bundle in grid.bundles(config, built):
        settings = [runs[r] for r in bundle]
        flops = sum(cost.setting_cost(s, pairs, points)["train_flops"] for s in settings)
        assert resources.train_runtime_min(settings, pairs) * 60 >= flops / resources.ASSUMED_FLOPS


def test_bundles_group_compatible_settings_of_an_artefact_and_stay_put(digits_folder):
    config = tiny_config(digits_folder, bundle=2, pairs=1)
    config["artefacts"]["table2"]["grid"][0] += [
        {"label": "SGD ↓Lr", "optimizer": "sgd", "lr": 0.01},
        {"label": "ADAM ↑Lr", "optimizer": "adam", "lr": 0.005},
        {"label": "SGD W-up", "optimizer": "sgd", "lr": 0.1, "warmup_fraction": 0.05}]
    entries = grid.artefact_settings(config, "table2")
    ids = [e["run_id"] for e in entries]
    bundles = grid.bundles(config, ["table2"])
    # SGD: 0, 2, 4 -> [0, 2] and 4 alone; Adam: 1, 3 -> [1, 3]
    assert bundles == [[ids[0], ids[2]], [ids[1], ids[3]]]
    config["artefacts"]["table2"]["grid"][0][1]["lr"] = 0.002            # edit one Adam setting
    edited = grid.bundles(config, ["table2"])
    assert edited[0] == bundles[0] and edited[1] != bundles[1]
    assert grid.bundle_id(edited[0]) == grid.bundle_id(bundles[0])
    with pytest.raises(grid.GridError, match="pairs_per_job"):
        grid.bundles({**config, "pairs_per_job": 1, "pairs": 2}, ["table2"])


def test_pair_chunks():
    assert grid.pair_chunks(3, "all") == [[0, 1, 2]]
    assert grid.pair_chunks(3, 2) == [[0, 1], [2]]
    assert grid.pair_chunks(3, 5) == [[0, 1, 2]]
    with pytest.raises(grid.GridError, match="pairs_per_job: 0"):
        grid.pair_chunks(3, 0)


def test_a_bundled_workflow_writes_the_files_of_per_setting_jobs(tmp_path, digits_folder):
    """Real Snakemake: two SGD settings of Table 2 as one bundle job (and one interpolation
    job), byte for byte the files of one job per setting; nothing left to do after."""
    runs = {}
    for bundle in (1, 2):
        wf = Workflow(tmp_path / f"bundle{bundle}")
        cfg = tiny_config(digits_folder, bundle=bundle, pairs=1)
        cfg["defaults"]["epochs"] = 1
        cfg["artefacts"]["table2"]["grid"][0][1] = {"label": "SGD W-up", "optimizer": "sgd", "lr": 0.1,
                                                   "warmup_fraction": 0.5}
        wf.write_config(cfg)
        target = "results/barriers/table2.csv"        # training, interpolation, aggregation
        wf.snakemake("--cores", "2", target, timeout=1500)
        runs[bundle] = wf.path / "results"
        assert "Nothing to be done" in wf.snakemake("-n", target).stdout
    plan = (tmp_path / "bundle2" / "results" / "bundles")
    assert len(list(plan.iterdir())) == 1, "one bundle job"
    names = sorted(p.relative_to(runs[1]) for p in (runs[1] / "runs").rglob("*")
                   if p.suffix in (".pt", ".csv", ".json") and "provenance" not in p.name
                   and ".kept" not in p.parts)
    assert len(names) > 10
    for name in names:
        assert filecmp.cmp(runs[1] / name, runs[2] / name, shallow=False), name
    for name in ("barriers/table2.csv", "barriers/table2_paths.csv"):
        assert filecmp.cmp(runs[1] / name, runs[2] / name, shallow=False), name


def test_pairs_added_to_a_bundle_with_snapshots_train_alone_and_the_kept_ones_come_back(tmp_path, betons):
    """lmc.train.kept_pairs inside a job: pair 0 of two bundled settings, with snapshots, kept;
    the job for pairs 0-1 (its old outputs deleted, as Snakemake does) restores pair 0,
    snapshots included, and trains pair 1 to the bytes a job of pairs 0-1 gives."""
    from lmc.jobs import train as tj

    settings = [setting(lr=0.05), setting(lr=0.01)]

    def job(folder, pairs):
        seeds = [[train_settings.pair_seeds(s, k) for k in pairs] for s in settings]
        out = job_outputs(folder, pairs, len(settings))
        for i in range(len(settings)):
            for k in pairs:
                for m in "ab":
                    path = folder / f"s{i}" / f"pair{k}" / f"{m}_e1.pt"
                    out[pair_files.snapshot_key(m, 1, i, k)] = str(path)
        result = tj.train_job(settings, seeds, betons, pairs, out, state_path=str(folder / "state.pt"),
                              device="cpu", snapshot_epochs=[1])
        return out, result

    out, _ = job(tmp_path / "grown", [0])
    first = {p: open(p, "rb").read() for p in out.values()}
    for path in out.values():
        __import__("os").unlink(path)
    out2, result = job(tmp_path / "grown", [0, 1])
    assert len(result.members) == 4                                   # pair 1 of each setting only
    assert {p: open(p, "rb").read() for p in out.values()} == first  # provenance and snapshots too
    fresh, _ = job(tmp_path / "fresh", [0, 1])
    for i in range(2):
        names = FILES + ("a_e1.pt", "b_e1.pt")
        assert same_files(tmp_path / "grown" / f"s{i}/pair1", tmp_path / "fresh" / f"s{i}/pair1", names) == []
