"""Every artefact rendered from fabricated aggregated barriers with known numbers, the
Table 3 counts, run-id sharing between artefacts, and a dry run of the full config."""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lmc.config import artefacts, grid
from lmc.data import datasets
from lmc.nn.patch_models import toeplitz_width
from lmc.report import render, summary

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("error_barrier", "error_barrier_linear", "loss_barrier", "loss_barrier_linear",
           "normalised_barrier")


def load_config(*presets: str) -> dict:
    """config.yaml with presets merged over it the way Snakemake merges --configfile."""
    from snakemake.utils import update_config

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for p in presets:
        update_config(config, yaml.safe_load((ROOT / p).read_text()))
    return config


def value(cell: int, pair: int, split: str) -> float:
    """The fabricated barrier of (cell, pair, split): 1.00 % + 0.10 % per cell, +0.02 % for
    pair 1, +0.50 % on test; so cell c has mean 1.01 + 0.1c (train) and std 0.01 (in %)."""
    return (1.0 + 0.1 * cell + 0.02 * pair + (0.5 if split == "test" else 0.0)) / 100


def fabricate(config: dict, artefact: str, pairs: int = 2,
              diverged_cells: tuple[int, ...] = ()) -> pd.DataFrame:
    """An aggregated barrier table (lmc.aggregate.barriers's columns) for the artefact's real grid."""
    rows = []
    for cell, entry in enumerate(grid.artefact_settings(config, artefact)):
        s = entry["setting"]
        for k in range(pairs):
            div = cell in diverged_cells
            row = {"cell": cell, "label": entry["coords"].get("label", ""),
                   "run_id": entry["run_id"], "pair": k,
                   **{f"coord_{c}": v for c, v in entry["coords"].items() if c != "label"},
                   **{c: v for c, v in s.items() if c != "adam_betas"},
                   "dataset_title": datasets.info(s["dataset"]).title, "epochs_trained": s["epochs"],
                   "final_train_loss_a": 0.25, "final_train_loss_b": 0.26, "diverged": div}
            acc_a, acc_b = 0.80 + 0.01 * cell, 0.82 + 0.01 * cell   # test accuracies: mean 81 + c, pooled
            for split in ("train", "test"):
                b = value(cell, k, split)
                for m in METRICS:
                    row[f"{split}_{m}"] = float("nan") if div else b
                row[f"{split}_normalised_barrier"] = float("nan") if div else b / (0.5 * (acc_a + acc_b))
                row[f"{split}_acc_a"], row[f"{split}_acc_b"] = acc_a, acc_b
            rows.append(row)
    agg = pd.DataFrame(rows)
    kind = artefacts.ARTEFACTS[artefact].kind          # the dynamics artefacts: one row per point too
    if kind == "spawn":
        spec = config["artefacts"][artefact]["spawn"]
        agg = pd.concat([agg.assign(spawn_unit=spec["unit"], spawn_point=float(p), spawn_step=i)
                         for i, p in enumerate(spec["points"])], ignore_index=True)
    elif kind == "snapshots":
        agg = pd.concat([agg.assign(epoch=int(t)) for t in config["artefacts"][artefact]["snapshot_epochs"]],
                        ignore_index=True)
    return agg


def fabricate_paths(agg: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in agg.iterrows():
        for split in ("train", "test"):
            for i in range(11):
                a = i / 10
                e = 0.1 + 0.05 * math.sin(math.pi * a)
                rows.append({"cell": r["cell"], "label": r["label"], "run_id": r["run_id"], "pair": r["pair"],
                             "split": split, "alpha": a, "loss": e, "error": e, "accuracy": 1 - e})
    return pd.DataFrame(rows)


def render_fabricated(tmp_path: Path, artefact: str, agg: pd.DataFrame, figures: bool = False,
                      paths: bool = True) -> dict[str, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    b = tmp_path / f"{artefact}.csv"
    agg.to_csv(b, index=False)            # through CSV, as the pipeline does (ints with NaN become floats)
    p = tmp_path / f"{artefact}_paths.csv"
    out = {ext: tmp_path / f"out.{ext}" for ext in ("md", "tex", "csv", "html")}
    if figures:
        if paths:
            fabricate_paths(agg).to_csv(p, index=False)
            out.update({"paths_png": tmp_path / "paths.png", "paths_pdf": tmp_path / "paths.pdf"})
        if artefacts.ARTEFACTS[artefact].figure:
            out.update({"png": tmp_path / "fig.png", "pdf": tmp_path / "fig.pdf"})
    render.render_artefact(artefact, str(b), str(p), {k: str(v) for k, v in out.items()})
    return out


def md_rows(md: str) -> dict[str, list[str]]:
    """Markdown table body: first cell -> the other cells (and the header under '__header__')."""
    lines = [l for l in md.splitlines() if l.startswith("|")]
    cells = [[c.strip() for c in l.strip().strip("|").split("|")] for l in lines]
    out = {"__header__": cells[0]}
    for c in cells[2:]:
        out[c[0]] = c[1:]
    return out


def cell_of(rows: dict, row: str, column: str) -> str:
    return rows[row][rows["__header__"].index(column) - 1]


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def quick():
    return load_config("config/quick.yaml")


def expected(cell: int, split: str) -> str:
    return f"{1.01 + 0.1 * cell + (0.5 if split == 'test' else 0):.2f} ± 0.01"


# --- each artefact from fabricated numbers -------------------------------------------------

def test_table1(tmp_path, config):
    # 8-Layer BS=1024, SGD High Lr: the paper's *
    agg = fabricate(config, "table1", diverged_cells=(20,))
    out = render_fabricated(tmp_path, "table1", agg, figures=True)
    rows = md_rows(out["md"].read_text())
    assert list(rows)[1:] == ["1-Layer, BS=30K", "1-Layer, BS=1024", "2-Layer, BS=30K", "2-Layer, BS=1024",
                              "4-Layer, BS=1024", "8-Layer, BS=1024"]
    assert rows["__header__"][1:3] == ["SGD High Lr (0.1): Test", "SGD High Lr (0.1): Train"]
    # cells are row-major over (rows, columns), 4 columns per row: cell 15 = (2-Layer BS=1024, ADAM 0.001)
    assert cell_of(rows, "1-Layer, BS=30K", "SGD High Lr (0.1): Test") == expected(0, "test")
    assert cell_of(rows, "1-Layer, BS=30K", "SGD High Lr (0.1): Train") == expected(0, "train")
    assert cell_of(rows, "2-Layer, BS=1024", "ADAM Med Lr (0.001): Train") == expected(15, "train")
    assert cell_of(rows, "8-Layer, BS=1024", "SGD High Lr (0.1): Test") == "*"
    assert cell_of(rows, "8-Layer, BS=1024", "SGD Med Lr (0.01): Test") == expected(21, "test")
    numbers = pd.read_csv(out["csv"])
    one = numbers[(numbers["cell"] == 15) & (numbers["metric"] == "error_barrier")
                  & (numbers["split"] == "train")]
    assert (one["mean"].iloc[0] == pytest.approx(1.01 + 1.5)
            and one["std"].iloc[0] == pytest.approx(0.0141421, rel=1e-4))
    assert one["pairs"].iloc[0] == 2 and not one["diverged"].iloc[0]
    assert numbers[numbers["cell"] == 20]["diverged"].all()
    md = out["md"].read_text()
    assert "MNIST; 2 pair(s) per setting; 200 epochs" in md
    tex = out["tex"].read_text()
    assert r"\multicolumn{2}{c}{SGD High Lr (0.1)}" in tex and r"$\ast$" in tex
    assert "<td>*</td>" in out["html"].read_text()
    assert out["paths_png"].stat().st_size > 0


def test_table2(tmp_path, config):
    out = render_fabricated(tmp_path, "table2", fabricate(config, "table2", diverged_cells=(3,)))
    rows = md_rows(out["md"].read_text())
    assert rows["__header__"][1:] == ["SGD ↑Lr", "SGD ↑Lr W-up", "ADAM ↓Lr", "ADAM ↑Lr", "ADAM ↑Lr + W-up"]
    assert cell_of(rows, "%B_train", "ADAM ↓Lr") == expected(2, "train")
    assert cell_of(rows, "%B_test", "SGD ↑Lr") == expected(0, "test")
    assert cell_of(rows, "%B_test", "ADAM ↑Lr") == "*"
    assert cell_of(rows, "Acc_test (%)", "SGD ↑Lr") == "81.00 ± 1.15"   # A 80, B 82, pooled over 2 pairs
    assert "under 5 optimisation setups (paper Table 2: five)" in out["md"].read_text()
    two = fabricate(config, "table2")
    two = two[two["cell"] < 2]
    caption = render_fabricated(tmp_path / "two", "table2", two)["md"].read_text().splitlines()[0]
    assert "under 2 optimisation setups" in caption          # the caption says what ran


def test_figure1(tmp_path, config):
    out = render_fabricated(tmp_path, "figure1", fabricate(config, "figure1", diverged_cells=(35,)),
                            figures=True, paths=False)
    rows = md_rows(out["md"].read_text())
    assert rows["__header__"][1:] == [f"p = {p}" for p in ("0", "0.01", "0.1", "0.2", "0.3", "0.4", "0.5",
                                                           "0.6", "0.7", "0.8", "0.9", "0.99")]
    assert list(rows)[1:4] == ["SGD High Lr (0.1), 2-Layer, train", "SGD High Lr (0.1), 2-Layer, test",
                               "SGD High Lr (0.1), 4-Layer, train"]
    # grid order: lr (0.1, 0.01) x depth (2, 4, 8) x slope (12): cell 13 = lr 0.1, depth 4, slope 0.01
    assert cell_of(rows, "SGD High Lr (0.1), 4-Layer, train", "p = 0.01") == expected(13, "train")
    assert cell_of(rows, "SGD High Lr (0.1), 8-Layer, test", "p = 0.99") == "*"
    assert cell_of(rows, "SGD Med Lr (0.01), 2-Layer, test", "p = 0") == expected(36, "test")
    assert "MNIST;" in out["md"].read_text().splitlines()[0]
    assert out["png"].stat().st_size > 0 and out["pdf"].stat().st_size > 0


def test_figure2(tmp_path, config):
    out = render_fabricated(tmp_path, "figure2", fabricate(config, "figure2", diverged_cells=(9,)),
                            figures=True)
    rows = md_rows(out["md"].read_text())
    assert list(rows)[1:] == ["MLP", "LC-CNN", "CNN", "ViT-like"]
    # grid order: model x lr (0.1, 0.01, 0.001)
    assert cell_of(rows, "LC-CNN", "SGD Low Lr (0.001) test") == expected(5, "test")
    assert cell_of(rows, "ViT-like", "SGD High Lr (0.1) train") == "*"
    md = out["md"].read_text()
    assert "MLP: width 6272" in md and "ViT-like: patch 4, 8 heads of 48" in md and "MNIST" in md
    assert out["png"].stat().st_size > 0


def test_figure3_table4_figure5(tmp_path, config):
    agg = fabricate(config, "figure3", diverged_cells=(6,))          # CIFAR-10, 2-Layer, High: the paper's *
    out = render_fabricated(tmp_path / "f3", "figure3", agg, figures=True, paths=False)
    rows = md_rows(out["md"].read_text())
    assert list(rows)[1:] == ["MNIST", "CIFAR-10", "CIFAR-100", "Tiny-ImageNet"]
    # normalised barrier: barrier / mean test accuracy (0.81 + 0.01 c), in %
    c = 7                                                            # CIFAR-10, 2-Layer, Med
    vals = [value(c, k, "test") / (0.81 + 0.01 * c) * 100 for k in (0, 1)]
    assert (cell_of(rows, "CIFAR-10", "2-Layer Med (0.01) test")
            == summary.cell_text(summary.summarise(vals, scale=1)))
    assert cell_of(rows, "CIFAR-10", "2-Layer High (0.1) train") == "*"
    assert "MNIST, CIFAR-10, CIFAR-100, Tiny-ImageNet" in out["md"].read_text()

    t4 = md_rows(render_fabricated(tmp_path / "t4", "table4",
                                   fabricate(config, "table4", diverged_cells=(6,)))["md"].read_text())
    assert t4["__header__"][1:] == ["2-Layer High (0.1)", "2-Layer Med (0.01)", "4-Layer High (0.1)",
                                    "4-Layer Med (0.01)", "8-Layer High (0.1)", "8-Layer Med (0.01)"]
    assert cell_of(t4, "CIFAR-10", "2-Layer High (0.1)") == "*"
    assert cell_of(t4, "Tiny-ImageNet", "8-Layer Med (0.01)") == "104.00 ± 1.15"    # cell 23: A 103, B 105

    out5 = render_fabricated(tmp_path / "f5", "figure5", fabricate(config, "figure5"),
                             figures=True, paths=False)
    md5 = out5["md"].read_text()
    assert "MNIST, CIFAR-10;" in md5 and "ADAM" in md5
    assert md_rows(md5)["__header__"][1] == "2-Layer High (0.005) train"
    assert out5["png"].stat().st_size > 0


def test_initialisation(tmp_path, config):
    # grid order: setup (3) x scheme (5) x scale (5); cell 52 = ADAM ↑Lr + W-up, torch_default, x1
    agg = fabricate(config, "initialisation", diverged_cells=(24,))      # SGD ↑Lr, xavier_uniform, x4
    out = render_fabricated(tmp_path, "initialisation", agg, figures=True, paths=False)
    rows = md_rows(out["md"].read_text())
    assert list(rows)[1:4] == ["SGD ↑Lr, torch_default", "SGD ↑Lr, kaiming_normal",
                               "SGD ↑Lr, kaiming_uniform"]
    assert len(rows) - 1 == 15
    assert rows["__header__"][1:3] == ["×0.25 test", "×0.25 train"]
    assert cell_of(rows, "ADAM ↑Lr + W-up, torch_default", "×1 test") == expected(52, "test")
    assert cell_of(rows, "SGD ↑Lr, xavier_uniform", "×4 train") == "*"
    tex = out["tex"].read_text()
    assert r"\multicolumn{2}{c}{init scale $\times$0.25}" in tex
    numbers = pd.read_csv(out["csv"])
    assert set(numbers["init"]) == {"torch_default", "kaiming_normal", "kaiming_uniform", "xavier_normal",
                                    "xavier_uniform"}
    assert sorted(set(numbers["init_scale"])) == [0.25, 0.5, 1.0, 2.0, 4.0]
    assert out["png"].stat().st_size > 0 and out["pdf"].stat().st_size > 0
    # Table 2's SGD ↑Lr is the initialisation artefact's torch_default x1 SGD run: one run id
    ids = {e["run_id"] for e in grid.artefact_settings(config, "table2")}
    init_ids = [e["run_id"] for e in grid.artefact_settings(config, "initialisation")]
    assert init_ids[2] in ids and init_ids[27] in ids and init_ids[52] in ids


def test_quick_preset_names_only_fashion_mnist(tmp_path, quick):
    for artefact in artefacts.trained(list(quick["artefacts"])):
        settings = grid.artefact_settings(quick, artefact)
        assert {e["setting"]["dataset"] for e in settings} == {"fashion_mnist"}, artefact
        out = render_fabricated(tmp_path / artefact, artefact, fabricate(quick, artefact))
        md = out["md"].read_text()
        assert "Fashion-MNIST" in md.splitlines()[0]
        assert not re.search(r"\b(MNIST|CIFAR|Tiny)", md.replace("Fashion-MNIST", "")), artefact


def test_quick_preset_subsets_are_table2s_runs(config, quick):
    """quick.yaml repeats Table 2's grid only to put the plane on one setup: the same
    entries as config.yaml's; its dynamics run on two of those runs; its analyses are
    Table 2's, and the derivatives along training of its ADAM ↑Lr (issue 19)."""
    def coords(cfg, artefact):
        entries = grid.artefact_settings(cfg, artefact)
        return [{k: v for k, v in e["coords"].items() if k != "analyses"} for e in entries]

    assert coords(quick, "table2") == coords(config, "table2")
    table2 = {e["run_id"]: e for e in grid.artefact_settings(quick, "table2")}
    for artefact in ("instability", "barrier_over_time"):
        runs = [e["run_id"] for e in grid.artefact_settings(quick, artefact)]
        assert [table2[r]["coords"]["label"] for r in runs] == ["SGD ↑Lr", "ADAM ↑Lr"], artefact
    analysed = {(a, e["coords"].get("label"), tuple(e["analyses"]))
                for a in artefacts.trained(list(quick["artefacts"]))
                for e in grid.artefact_settings(quick, a) if e["analyses"]}
    assert {x for x in analysed if x[0] != "table2"} == {
        (a, "ADAM ↑Lr", ("derivatives",)) for a in ("instability", "barrier_over_time")}  # along training
    assert len([x for x in analysed if x[0] == "table2"]) == 5
    assert [x[1] for x in analysed if "plane" in x[2]] == ["ADAM ↑Lr"]


# --- Table 3 --------------------------------------------------------------------------------

def test_table3_counts(tmp_path, config):
    points = [p["merged"] for p in grid.artefact_points(config, "table3")]
    out = {ext: str(tmp_path / f"t3.{ext}") for ext in ("md", "tex", "csv", "html")}
    render.render_table3(points, out)
    counts = pd.read_csv(out["csv"])
    cifar = counts[counts["dataset"] == "cifar10"].set_index("model")["parameters"]
    assert dict(cifar) == {"cnn": 88_202, "lcn": 483_338, "mlp": 25_255_946, "vit": 640_906}
    mnist = counts[counts["dataset"] == "mnist"].set_index("model")
    assert mnist.loc["mlp", "mlp_width"] == 6272
    rows = md_rows(Path(out["md"]).read_text())
    assert cell_of(rows, "CNN", "CIFAR-10 (M)") == "0.09 (88,202)"
    assert cell_of(rows, "LC-CNN", "CIFAR-10 (M)") == "0.48 (483,338)"
    assert cell_of(rows, "MLP (Linear)", "CIFAR-10 (M)") == "25.26 (25,255,946)"
    assert cell_of(rows, "ViT-like", "CIFAR-10 (M)") == "0.64 (640,906)"
    assert cell_of(rows, "ViT-like", "paper, CIFAR-10 (M)") == "≈1.08"
    assert "640,906 parameters against the paper's ≈1.08M" in Path(out["md"]).read_text()


# --- grids: shared runs, Figure 2's MLP twin ------------------------------------------------

@pytest.mark.parametrize("presets", [(), ("config/quick.yaml",)])
def test_table4_is_figure3(presets):
    config = load_config(*presets)
    f3 = [e["run_id"] for e in grid.artefact_settings(config, "figure3")]
    t4 = [e["run_id"] for e in grid.artefact_settings(config, "table4")]
    assert f3 == t4 and len(set(f3)) == len(f3)
    runs = grid.all_runs(config, list(config["artefacts"]))
    assert set(f3) <= set(runs)


@pytest.mark.parametrize("presets", [(), ("config/quick.yaml",)])
def test_figure2_mlp_is_the_toeplitz_twin(presets):
    config = load_config(*presets)
    for e in grid.artefact_settings(config, "figure2"):
        s = e["setting"]
        if s["model"] == "mlp":
            merged = {**config["defaults"], **config["artefacts"]["figure2"].get("base", {})}
            assert s["width"] == toeplitz_width(datasets.info(s["dataset"]).shape,
                                                merged["channels"], merged["kernel"])


def test_untrained_table3_has_no_runs(config):
    with pytest.raises(grid.GridError):
        grid.artefact_settings(config, "table3")
    assert "table3" not in artefacts.trained(list(config["artefacts"]))


def test_labels_of_several_axes_are_joined():
    config = {"defaults": {"model": "mlp", "optimizer": "sgd"},
              "artefacts": {"x": {"grid": [[{"label": "a", "depth": 1}], [{"label": "b", "lr": 0.1}]]}}}
    (point,) = grid.artefact_points(config, "x")
    assert point["coords"]["label"] == "a, b" and "label" not in point["merged"]


# --- the full config's DAG ------------------------------------------------------------------

def test_full_config_dry_run(config):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    snakemake = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run([str(snakemake), "-n", "all"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", text, re.M))
    per_artefact = sum(len(grid.artefact_settings(config, a))
                       for a in artefacts.trained(list(config["artefacts"])))
    runs = grid.all_runs(config, list(config["artefacts"]))
    # one training and one interpolation job per setting (or bundle), never one per pair
    snapshot_runs = [e["run_id"] for e in grid.artefact_settings(config, "barrier_over_time")]
    bundles = grid.bundles(config, list(config["artefacts"]), exclude=snapshot_runs)
    bundled = sum(len(b) for b in bundles)
    assert len(runs) < per_artefact and bundled <= len(runs)
    # Table 2's runs take snapshots for barrier_over_time (train_setting_snapshots, never bundled)
    per_setting = int(stats.get("train_setting", 0)) + int(stats["train_setting_snapshots"])
    assert per_setting == int(stats.get("interpolate", 0)) == len(runs) - bundled
    assert int(stats["train_setting_snapshots"]) == 5
    assert sum(int(v) for k, v in stats.items() if k.startswith("train_bundle_")) == len(bundles)
    assert int(stats["spawn_trunk"]) == 5
    # every spawn point k > 0 of a setting in one job (training, paths)
    assert int(stats["spawn_pairs"]) == int(stats["interpolate_spawned"]) == 5
    assert int(stats["total"]) <= 300
    assert int(stats["parameter_counts"]) == 1
    # the claims read every artefact they have claims about (Figure 1, Table 4, Figure 5 too)
    claims_input = re.search(r"rule render_claims:\n\s+input: ([^\n]*)", text).group(1)
    sources = artefacts.ARTEFACTS["claims"].sources
    assert len(sources) == 7 and claims_input.split(", ") == [f"results/barriers/{a}.csv" for a in sources]
    for a in ("table1", "table2", "table4", "figure1", "figure2", "figure3", "figure5"):
        assert int(stats[f"render_{a}"]) == 1
    # Table 2's "SGD ↑Lr" is also Figure 1's (2-Layer, p = 0, lr 0.1): trained once.
    sgd = next(e["run_id"] for e in grid.artefact_settings(config, "table2")
               if e["coords"].get("label") == "SGD ↑Lr")
    assert sgd in {e["run_id"] for e in grid.artefact_settings(config, "figure1")}
    # (its training also writes the snapshots of barrier_over_time)
    assert len(re.findall(rf"output: [^\n]*results/runs/{sgd}/setting.json", text)) == 1
    assert len(re.findall(rf"output: [^\n]*results/runs/{sgd}/pair0/init.pt", text)) == 1


def test_build_selects_artefacts(config):
    assert grid.built_artefacts(config) == list(config["artefacts"])          # build: [] -> every one
    fashion = load_config("config/fashion.yaml")
    assert grid.built_artefacts(fashion) == ["table1", "figure1", "table2", "initialisation", "claims"]
    runs = grid.all_runs(fashion, grid.built_artefacts(fashion))
    assert {s["dataset"] for s in runs.values()} == {"fashion_mnist"}
    assert {s["epochs"] for s in runs.values()} == {20} and fashion["pairs"] == 3
    with pytest.raises(grid.GridError, match="build: figure9 not under artefacts"):
        grid.built_artefacts({**config, "build": ["table2", "figure9"]})


# --- the training-dynamics artefacts (beyond the paper) ----------------------------------------

@pytest.mark.parametrize("artefact, column, label", [("instability", "spawn_point", "k = 0.25"),
                                                      ("barrier_over_time", "epoch", "t = 50")])
def test_dynamics_tables_show_every_point(tmp_path, config, artefact, column, label):
    agg = fabricate(config, artefact)
    out = render_fabricated(tmp_path, artefact, agg, figures=True, paths=False)
    rows = md_rows(out["md"].read_text())
    # cell 3 is ADAM ↑Lr: test barrier 1.5 + 0.3 + 0.01 (mean over pairs), std 0.01; accuracy 84 ± 1.15
    assert cell_of(rows, "ADAM ↑Lr: %B_test", label) == "1.81 ± 0.01"
    assert cell_of(rows, "ADAM ↑Lr: %B_train", label) == "1.31 ± 0.01"
    assert cell_of(rows, "ADAM ↑Lr: Acc_test", label) == "84.00 ± 1.15"
    numbers = pd.read_csv(out["csv"])
    points = sorted(set(numbers[column]))
    assert points == sorted(set(agg[column])) and len(numbers) == 5 * len(points) * 3
    assert out["png"].stat().st_size > 10000 and "paths_png" not in out
