"""The paper's numbers as data (config/printed_values.csv, lmc.paper.printed_values) and the
comparison of each printed cell with this project's result (lmc.paper.comparison): the file
against the paper's text, its loader's errors, every verdict on fabricated aggregated
results, and a real Snakemake run that builds the paper_comparison artefact."""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, copy_workflow

from lmc.config import artefacts
from lmc.paper import comparison, printed_values
from lmc.paper import render as paper_render
from lmc.report import parameter_counts

VALUES = ROOT / "config" / "paper_values.csv"
PAPER_NAME = "disentangling-lmc-2312.09832.txt"


def paper_text() -> list[str] | None:
    """The paper's text where this checkout sits beside the project's shared folder (or
    $LMC_PAPER_TEXT names it); None elsewhere (CI)."""
    candidates = [Path(os.environ["LMC_PAPER_TEXT"])] if os.environ.get("LMC_PAPER_TEXT") else []
    candidates += [p / "shared" / "seeds" / PAPER_NAME for p in (ROOT.parent, ROOT.parent.parent)]
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8").splitlines()
    return None


@pytest.fixture(scope="module")
def values() -> list[printed_values.PaperValue]:
    return printed_values.load(VALUES)


def by_id(values, id_):
    return next(v for v in values if v.id == id_)


# --- the values file ---------------------------------------------------------------------------

def test_values_file_has_every_printed_cell(values):
    def of(source):
        return [v for v in values if v.source == source]
    t1, t2, t3, t4 = of("Table 1"), of("Table 2"), of("Table 3"), of("Table 4")
    assert len(t1) == 6 * 4 * 2 and len(t2) == 5 * 2 and len(t3) == 3 and len(t4) == 4 * 6
    # the two `*` cells of Table 1 (8 layers, SGD High Lr) and three of Table 4 are not numbers
    assert sorted(v.id for v in t1 if v.starred) == ["table1/L8-bs1024/sgd-0.1/test",
                                                     "table1/L8-bs1024/sgd-0.1/train"]
    assert all(math.isnan(v.value) for v in t1 + t4 if v.starred)
    assert sorted(v.row for v in t4 if v.starred) == ["CiFAR-10", "CiFAR-100", "TinyImageNet"]
    # one setting per printed cell: no two Table 1/2/4 rows of one split name the same keys
    for group in (t1, t2, t4):
        keys = [(tuple(sorted(v.keys.items())), v.split) for v in group]
        assert len(set(keys)) == len(keys)
    # the text values: 200 epochs, the 2 % threshold, ViT-like ≈ 1.08M, Table 1's > 90 %
    assert printed_values.paper_epochs(values) == 200
    assert printed_values.lmc_threshold_percent(values) == 2.0
    vit = by_id(values, "text/vit-parameters")
    assert (vit.relation, vit.value) == ("≈", 1.08)
    caption = by_id(values, "table1/caption/test-accuracy")
    assert (caption.relation, caption.value) == (">", 90.0)


@pytest.mark.parametrize("id_, value, keys", [
    ("table2/adam-high/test", 2.86, {"optimizer": "adam", "lr": 0.005, "warmup_fraction": 0.0, "depth": 2}),
    ("table2/adam-high/train", 2.92, {"optimizer": "adam", "lr": 0.005}),
    ("table2/sgd-high-wup/test", 0.02, {"optimizer": "sgd", "lr": 0.1, "warmup_fraction": 0.05}),
    ("table1/L4-bs1024/adam-0.005/test", 47.74, {"model": "linear", "depth": 4, "batch_size": 1024}),
    ("table1/L8-bs1024/adam-0.001/train", 74.32, {"depth": 8, "optimizer": "adam", "lr": 0.001}),
    ("table1/L1-bs30k/sgd-0.1/test", 0.05, {"depth": 1, "batch_size": 30000, "dataset": "mnist"}),
    ("table1/L2-bs1024/sgd-0.1/train", 0.14, {"depth": 2, "batch_size": 1024, "lr": 0.1}),
    ("table4/tiny_imagenet/L4-high", 1.68, {"dataset": "tiny_imagenet", "depth": 4, "lr": 0.1}),
    ("table4/mnist/L8-med", 97.14, {"dataset": "mnist", "depth": 8, "lr": 0.01}),
    ("table3/mlp", 25.26, {"dataset": "cifar10", "model": "mlp", "channels": 128, "kernel": 4}),
])
def test_exact_cells(values, id_, value, keys):
    v = by_id(values, id_)
    assert v.value == value
    assert {k: v.keys[k] for k in keys} == keys


def test_table3_of_parameter_counts_is_the_files(values):
    """lmc.report.parameter_counts prints the paper's Table 3 beside its counts; the same numbers."""
    file = {v.keys["model"]: v.value for v in values if v.metric == "parameters"}
    assert file == parameter_counts.PAPER_TABLE3


def _numbers(line: str) -> list[str]:
    return re.findall(r"\\ast|\*|\d+\.\d+", line)


def test_values_file_matches_the_paper_text(values):
    """Every number of Tables 1-4 as the paper's text prints it, cell by cell."""
    text = paper_text()
    if text is None:
        pytest.skip("the paper's text (shared/seeds/" + PAPER_NAME + ") is not beside this checkout; "
                    "set LMC_PAPER_TEXT to check against it")
    printed = {}
    cols1 = ["sgd-0.1", "sgd-0.01", "adam-0.005", "adam-0.001"]
    for line in text:
        m = re.match(r"^(\d)-Layer, BS=(30K|1024) (.*)$", line)
        if m:
            nums = _numbers(m.group(3))
            assert len(nums) == 8, line
            for i, tok in enumerate(nums):
                printed[f"table1/L{m.group(1)}-bs{m.group(2).lower()}/{cols1[i // 2]}/"
                        f"{('test', 'train')[i % 2]}"] = tok
        m = re.match(r"^%(train|test)\\", line)
        if m:
            nums = line.split()[-5:]
            slugs = ["sgd-high", "sgd-high-wup", "adam-med", "adam-high", "adam-high-wup"]
            for slug, tok in zip(slugs, nums):
                printed[f"table2/{slug}/{m.group(1)}"] = tok
    start = next(i for i, line in enumerate(text) if line.startswith("Table 4:"))
    rows4 = {"MNIST": "mnist", "CiFAR-10": "cifar10", "CiFAR-100": "cifar100",
             "TinyImageNet": "tiny_imagenet"}
    for line in text[start:]:
        m = re.match(r"^(MNIST|CiFAR-10|CiFAR-100|TinyImageNet) (.*)$", line)
        if m:
            for col, tok in zip(["L2-high", "L2-med", "L4-high", "L4-med", "L8-high", "L8-med"],
                                m.group(2).split()):
                printed[f"table4/{rows4[m.group(1)]}/{col}"] = tok
    start = next(i for i, line in enumerate(text) if line.startswith("Table 3:"))
    for line in text[start:start + 4]:
        m = re.match(r"^(CNN|LC-CNN|MLP) (\d+\.\d+)$", line)
        if m:
            printed[f"table3/{ {'CNN': 'cnn', 'LC-CNN': 'lcn', 'MLP': 'mlp'}[m.group(1)]}"] = m.group(2)
    assert len(printed) == 48 + 10 + 24 + 3
    table_rows = {v.id: v for v in values if v.source in ("Table 1", "Table 2", "Table 3", "Table 4")}
    assert set(printed) == set(table_rows)
    for id_, tok in printed.items():
        v = table_rows[id_]
        if tok in ("*", "\\ast"):
            assert v.starred, id_
        else:
            assert v.printed == tok and v.value == float(tok), (id_, tok, v.printed)
    joined = "\n".join(text)
    assert "approximately 1.081.081.081.08M parameters" in joined          # the ViT-like count, as extracted
    assert "trained for 200 epochs" in joined and "<(0.02)" in joined and "above 90% test accuracy" in joined


# --- the loader's errors -------------------------------------------------------------------------

def _write(tmp_path, edit) -> Path:
    lines = VALUES.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "values.csv"
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, expected", [
    (lambda ls: [ls[0].replace("relation", "relaton")] + ls[1:],
     r"values\.csv: header must be .*missing: relation"),
    (lambda ls: ls[:2] + [ls[2].replace(",=,0.01,0.01,", ",~,0.01,0.01,")] + ls[3:],
     r"values\.csv:3 \(table1/L1-bs30k/sgd-0\.1/train\): relation '~'"),
    (lambda ls: ls[:2] + [ls[2].replace(",=,0.01,0.01,", ",=,0.01,0.10,")] + ls[3:],
     r"values\.csv:3 \(table1/L1-bs30k/sgd-0\.1/train\): value 0\.10 is not the number printed"),
    (lambda ls: ls[:2] + [ls[2].replace(",=,0.01,0.01,", ",=,0.01,n/a,")] + ls[3:],
     r"values\.csv:3 .*value 'n/a' is not a number"),
    (lambda ls: ls + [ls[1]], r"values\.csv:\d+ \(table1/L1-bs30k/sgd-0\.1/test\): id .* appears twice"),
    (lambda ls: ls[:2] + [ls[2].replace(",1,30000,", ",one,30000,")] + ls[3:],
     r"values\.csv:3 .*column depth must be int, got 'one'"),
    (lambda ls: ls[:2] + [ls[2] + ",extra"] + ls[3:], r"values\.csv:3 .*26 columns expected"),
])
def test_malformed_file_fails_with_one_line_naming_file_and_row(tmp_path, edit, expected):
    with pytest.raises(printed_values.PaperValuesError) as err:
        printed_values.load(_write(tmp_path, edit))
    assert "\n" not in str(err.value)
    assert re.search(expected, str(err.value)), str(err.value)


# --- verdicts on fabricated aggregated results -----------------------------------------------------

def _agg(cells: list[dict], artefact_base: dict) -> pd.DataFrame:
    """An aggregated barriers table: `cells` each with `barriers` (fractions, one per pair)
    and optionally acc (endpoint test accuracy), diverged, label and setting overrides."""
    rows = []
    for i, c in enumerate(cells):
        c = dict(c)
        barriers, acc = c.pop("barriers"), c.pop("acc", 0.98)
        diverged, label = c.pop("diverged", False), c.pop("label", "")
        run_id = c.pop("run_id", f"run{i}")
        for k, b in enumerate(barriers):
            rows.append({"cell": i, "label": label, "run_id": run_id, "pair": k, "dataset_title": "MNIST",
                         "epochs": 20, "width": 512, "init": "torch_default", "init_scale": 1.0,
                         "batch_size": 1024, "warmup_fraction": 0.0,
                         **artefact_base, **c, "diverged": diverged,
                         "train_error_barrier": math.nan if diverged else b,
                         "test_error_barrier": math.nan if diverged else b,
                         "test_acc_a": acc, "test_acc_b": acc,
                         "final_train_loss_a": 0.25, "final_train_loss_b": 0.27})
    return pd.DataFrame(rows)


TABLE2 = {"dataset": "mnist", "model": "mlp", "depth": 2, "slope": 0.0}
TABLE1 = {"dataset": "mnist", "model": "linear"}


def _rows(frame, id_):
    return frame[frame["id"] == id_]


def _verdict(frame, id_):
    rows = _rows(frame, id_)
    assert len(rows) == 1, rows
    return rows["verdict"].iloc[0]


def test_barrier_verdicts(values):
    table2 = _agg([
        # paper 0.05, 2.86, 0.06
        {"label": "SGD ↑Lr", "optimizer": "sgd", "lr": 0.1, "barriers": [0.0005, 0.0004, 0.0006]},
        {"label": "ADAM ↑Lr", "optimizer": "adam", "lr": 0.005, "barriers": [0.003, 0.0045, 0.005]},
        {"label": "ADAM ↓Lr", "optimizer": "adam", "lr": 0.001, "barriers": [0.01, 0.015, 0.03]},
        # never trained (6.4 % test accuracy, as SGD at lr 1e-6 measured in issue 18)
        {"label": "SGD ↑Lr W-up", "optimizer": "sgd", "lr": 0.1, "warmup_fraction": 0.05,
         "barriers": [0.0, 0.0, 0.0], "acc": 0.064},
        # paper 0.23
        {"label": "ADAM ↑Lr + W-up", "optimizer": "adam", "lr": 0.005, "warmup_fraction": 0.05,
         "barriers": [1.0, 1.0, 1.0], "diverged": True},
    ], TABLE2)
    frame = comparison.compare(values, {"table2": table2})
    assert _verdict(frame, "table2/sgd-high/test") == comparison.AGREE
    row = _rows(frame, "table2/sgd-high/test").iloc[0]
    assert row["mean"] == pytest.approx(0.05) and row["std"] == pytest.approx(0.01) and row["pairs"] == 3
    assert row["difference"] == pytest.approx(0.0, abs=1e-12)
    assert (row["epochs"], row["paper_epochs"]) == (20, 200)
    assert _verdict(frame, "table2/adam-high/test") == comparison.DISAGREE        # 0.42 against 2.86
    difference = _rows(frame, "table2/adam-high/test")["difference"].iloc[0]
    assert difference == pytest.approx(0.4167 - 2.86, abs=1e-3)
    assert _verdict(frame, "table2/adam-med/test") == comparison.STRADDLES        # 1, 1.5 and 3 % against 2 %
    assert "2 of 3 pairs below 2 %" in _rows(frame, "table2/adam-med/test")["detail"].iloc[0]
    # a pair that never trained has B = 0: "not trained", never "agree" with the paper's 0.02
    assert _verdict(frame, "table2/sgd-high-wup/test") == comparison.NOT_TRAINED
    assert _verdict(frame, "table2/adam-high-wup/train") == comparison.DIVERGED_HERE
    # nothing is dropped: every printed Table 2 cell has its row
    assert set(frame[frame["source"] == "Table 2"]["id"]) == {v.id for v in values if v.source == "Table 2"}


def test_both_sides_above_threshold_agree_and_star_verdicts(values):
    cells = [{"depth": 4, "optimizer": "adam", "lr": 0.005, "barriers": [0.30, 0.45]},   # paper 47.74
             {"depth": 8, "optimizer": "sgd", "lr": 0.1, "barriers": [0.0, 0.0], "diverged": True},  # paper *
             {"depth": 8, "optimizer": "adam", "lr": 0.001, "barriers": [0.001, 0.002]}]  # paper 73.78
    frame = comparison.compare(values, {"table1": _agg(cells, TABLE1)})
    assert _verdict(frame, "table1/L4-bs1024/adam-0.005/test") == comparison.AGREE
    assert _verdict(frame, "table1/L8-bs1024/sgd-0.1/test") == comparison.BOTH_DIVERGED
    assert _verdict(frame, "table1/L8-bs1024/adam-0.001/test") == comparison.DISAGREE
    finite = _agg([{"depth": 8, "optimizer": "sgd", "lr": 0.1, "barriers": [0.001, 0.002]}], TABLE1)
    frame = comparison.compare(values, {"table1": finite})
    assert _verdict(frame, "table1/L8-bs1024/sgd-0.1/train") == comparison.DIVERGED_PAPER
    assert math.isnan(_rows(frame, "table1/L8-bs1024/sgd-0.1/train")["difference"].iloc[0])


def test_not_run_names_why(values):
    fashion = _agg([{"label": "SGD ↑Lr", "optimizer": "sgd", "lr": 0.1, "barriers": [0.001, 0.002]}],
                   {**TABLE2, "dataset": "fashion_mnist"})
    frame = comparison.compare(values, {"table2": fashion})
    row = _rows(frame, "table2/sgd-high/test").iloc[0]
    assert row["verdict"] == comparison.NOT_RUN
    assert "closest: table2 'SGD ↑Lr' (dataset fashion_mnist ≠ mnist)" in row["detail"]
    assert _rows(frame, "table1/L1-bs30k/sgd-0.1/test")["detail"].iloc[0] == "table1 not in this config"
    # every compared paper value has at least one row
    compared = {v.id for v in values if v.metric in comparison.COMPARED_METRICS}
    assert set(frame["id"]) == compared


def test_every_matching_cell_gets_a_row(values):
    """An init axis in Table 2 gives two project cells for one printed cell: both listed."""
    table2 = _agg([{"optimizer": "sgd", "lr": 0.1, "init": "torch_default", "barriers": [0.001, 0.001]},
                   {"optimizer": "sgd", "lr": 0.1, "init": "kaiming_normal", "barriers": [0.03, 0.03]}],
                  TABLE2)
    rows = _rows(comparison.compare(values, {"table2": table2}), "table2/sgd-high/test")
    assert list(rows["verdict"]) == [comparison.AGREE, comparison.DISAGREE]
    assert list(rows["project_cell"]) == ["init torch_default", "init kaiming_normal"]


def test_accuracy_verdicts_and_figure3_runs(values):
    """Table 4's accuracies within ±1 point agree; its cells are found in Figure 3's runs too,
    once per run id."""
    base = {"dataset": "mnist", "model": "mlp", "slope": 0.0, "optimizer": "sgd"}
    cells = [{"depth": 2, "lr": 0.1, "acc": 0.9790, "barriers": [0.0, 0.0]},    # paper 98.32: -0.42
             {"depth": 2, "lr": 0.01, "acc": 0.9720, "barriers": [0.0, 0.0]},   # paper 98.34: -1.14
             {"depth": 8, "lr": 0.1, "acc": 0.98, "barriers": [0.0, 0.0], "diverged": True}]
    figure3 = _agg(cells, base)
    frame = comparison.compare(values, {"figure3": figure3, "table4": figure3})
    assert _verdict(frame, "table4/mnist/L2-high") == comparison.AGREE
    assert _rows(frame, "table4/mnist/L2-high")["mean"].iloc[0] == pytest.approx(97.90)
    assert _verdict(frame, "table4/mnist/L2-med") == comparison.DISAGREE
    assert _verdict(frame, "table4/mnist/L8-high") == comparison.DIVERGED_HERE
    assert _verdict(frame, "table4/mnist/L4-high") == comparison.NOT_RUN
    cifar = _agg([{"depth": 2, "lr": 0.1, "acc": 0.5, "barriers": [0.01, 0.01]}],
                 {**base, "dataset": "cifar10"})
    frame = comparison.compare(values, {"figure3": cifar})
    assert _verdict(frame, "table4/cifar10/L2-high") == comparison.DIVERGED_PAPER


def test_parameter_count_verdicts(values):
    counts = parameter_counts.parameter_table([{"dataset": d, "channels": 128, "kernel": 4, "patch": 4,
                                                "heads": 8, "head_dim": 48} for d in ("cifar10", "mnist")])
    frame = comparison.compare(values, {"table3": counts})
    for model in ("cnn", "lcn", "mlp"):
        assert _verdict(frame, f"table3/{model}") == comparison.AGREE
    vit = _rows(frame, "text/vit-parameters")             # no input shape in the text: both shapes listed
    assert len(vit) == 2 and set(vit["verdict"]) == {comparison.DISAGREE}
    wrong = counts.assign(parameters=counts["parameters"] + 10_000)          # 0.09M -> 0.10M
    assert _verdict(comparison.compare(values, {"table3": wrong}), "table3/cnn") == comparison.DISAGREE


def test_caption_bounds(values):
    """Table 1's caption (test accuracy above 90 %, train cross entropy 0.2-0.3) is judged on
    the cells the paper does not mark *: the diverged 8-layer SGD High Lr cell is left out."""
    cells = [{"depth": 1, "batch_size": 30000, "optimizer": "sgd", "lr": 0.1, "acc": 0.92,
              "barriers": [0, 0]},
             {"depth": 2, "optimizer": "sgd", "lr": 0.01, "acc": 0.91, "barriers": [0, 0]},
             {"depth": 8, "optimizer": "sgd", "lr": 0.1, "acc": 0.10, "barriers": [0, 0]}]
    frame = comparison.compare(values, {"table1": _agg(cells, TABLE1)})
    row = _rows(frame, "table1/caption/test-accuracy").iloc[0]
    assert row["verdict"] == comparison.AGREE and row["mean"] == pytest.approx(91.0)
    assert row["project_cell"] == "2 cells"
    assert _verdict(frame, "table1/caption/train-loss-low") == comparison.AGREE   # 0.25-0.27
    assert _verdict(frame, "table1/caption/train-loss-high") == comparison.AGREE
    cells[1]["acc"] = 0.85
    frame = comparison.compare(values, {"table1": _agg(cells, TABLE1)})
    assert _verdict(frame, "table1/caption/test-accuracy") == comparison.DISAGREE


def test_render_writes_every_output(values, tmp_path):
    table2 = _agg([{"label": "ADAM ↑Lr", "optimizer": "adam", "lr": 0.005,
                    "barriers": [0.003, 0.0045, 0.005]}], TABLE2)
    table2.to_csv(tmp_path / "table2.csv", index=False)
    outputs = {ext: str(tmp_path / f"out.{ext}") for ext in ("md", "tex", "csv", "html", "png", "pdf")}
    paper_render.render_paper_comparison(str(VALUES), {"table2": str(tmp_path / "table2.csv")}, outputs)
    md = Path(outputs["md"]).read_text()
    assert ("| Table 2: %B_test · ADAM ↑Lr [table2: ADAM ↑Lr] | test | 2.86 | 0.42 ± 0.10 (3 pairs) | "
            "20 / 200 | -2.44 | disagree" in md)
    assert "not run (table1 not in this config)" in md
    csv = pd.read_csv(outputs["csv"])
    assert len(csv) == len({v.id for v in values if v.metric in comparison.COMPARED_METRICS})
    for ext in ("png", "pdf"):
        assert Path(outputs[ext]).stat().st_size > 5000


def test_registry_reads_what_the_comparison_compares():
    assert set(artefacts.ARTEFACTS["paper_comparison"].sources) == set(comparison.sources())


# --- a real run ----------------------------------------------------------------------------------

def test_snakemake_builds_paper_comparison(finished_workflow, tmp_path):
    """On the tiny fabricated-MNIST run: `snakemake paper_comparison` reads Table 2's
    aggregated barriers and Table 3's counts, trains nothing, and lists every printed cell."""
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    cfg = yaml.safe_load((wf.path / "config.yaml").read_text())
    cfg["artefacts"]["table3"] = {"base": {"channels": 128, "kernel": 4}, "grid": [{"dataset": ["cifar10"]}]}
    cfg["artefacts"]["paper_comparison"] = {}
    wf.write_config(cfg)
    assert "Lints for" not in wf.snakemake("--lint").stdout
    proc = wf.snakemake("--cores", "1", "paper_comparison")
    jobs = re.findall(r"^(?:local)?rule (\w+):", proc.stdout + proc.stderr, re.MULTILINE)
    assert sorted(jobs) == ["paper_comparison", "parameter_counts", "render_paper_comparison"], jobs
    res = wf.path / "results"
    frame = pd.read_csv(res / "tables/paper_comparison.csv")
    agg = pd.read_csv(res / "barriers/table2.csv")
    sgd = frame[frame["id"] == "table2/sgd-high/test"].iloc[0]
    assert sgd["project_cell"] == "SGD ↑Lr" and sgd["epochs"] == 2 and sgd["pairs"] == 2
    assert sgd["mean"] == pytest.approx(agg[agg["label"] == "SGD ↑Lr"]["test_error_barrier"].mean() * 100)
    assert sgd["verdict"] != comparison.NOT_RUN
    assert frame[frame["id"] == "table2/adam-med/train"]["verdict"].iloc[0] != comparison.NOT_RUN
    assert set(frame[frame["id"].str.startswith("table3/")]["verdict"]) == {comparison.AGREE}
    assert (frame[frame["id"].str.startswith("table1/")]["verdict"] == comparison.NOT_RUN).all()
    for ext in ("md", "tex", "html"):
        assert (res / f"tables/paper_comparison.{ext}").stat().st_size > 1000
    for ext in ("png", "pdf"):
        assert (res / f"figures/paper_comparison.{ext}").stat().st_size > 5000
    # `all` includes it: nothing left to do
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout
