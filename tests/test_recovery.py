"""Recovery: every fix a message prints works as written, and no number comes from a
half-written file (docs/reliability.md, "Damaged results"). Each workflow test injects a
fault into a finished run, runs real Snakemake, applies exactly the command the message
prints, and checks that every result file ends byte-identical to the undisturbed run."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_workflow

from lmc.aggregate import result_files
from lmc.util import io

# what a re-run may legitimately change: logs, timings, provenance (times, host)
_VOLATILE = ("provenance.json", "provenance.csv", ".log", ".bench.tsv", ".tsv")


def result_bytes(wf) -> dict[str, bytes]:
    """Every result file (runs, barriers, tables; not data, logs, timings) and its bytes."""
    res = wf.path / "results"
    files = [p for d in ("runs", "barriers", "tables") for p in (res / d).rglob("*")
             if p.is_file() and ".kept" not in p.parts]          # bookkeeping: links + a manifest
    return {str(p.relative_to(wf.path)): p.read_bytes() for p in files if not p.name.endswith(_VOLATILE)}


def run_id(wf) -> str:
    return sorted(p.name for p in (wf.path / "results/runs").iterdir() if p.is_dir())[0]


def fix_of(line: str) -> str:
    """The command a one-line error ends with (after its last ': ')."""
    return line.rsplit("): ", 1)[-1]


def apply_fix(wf, command: str) -> None:
    """Run exactly the printed command in the workflow directory (PYTHONPATH and the
    snakemake of this environment, as Workflow.snakemake does)."""
    snakemake = str(Path(__import__("conftest").SNAKEMAKE).parent)
    env = dict(os.environ, PYTHONPATH=str(wf.pythonpath), PATH=f"{snakemake}:{os.environ['PATH']}")
    proc = subprocess.run(command, shell=True, cwd=wf.path, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"


def last_line(path: Path) -> str:
    return path.read_text().strip().splitlines()[-1]


# --- strict readers on the files of a finished run -------------------------------------------


@pytest.fixture(scope="module")
def finished_files(finished_workflow):
    wf = finished_workflow[0]
    pair = wf.path / "results/runs" / run_id(wf) / "pair0"
    return {"path": pair / "interpolation.csv", "metrics": pair / "metrics.csv", "seeds": pair / "seeds.json",
            "barriers": wf.path / "results/barriers/table2.csv"}


def _cut(src: Path, dst: Path, drop: int) -> Path:
    """`src` without its last `drop` bytes."""
    dst.write_bytes(src.read_bytes()[:-drop])
    return dst


@pytest.mark.parametrize("drop", [2, 7, 20])
def test_an_interpolation_cut_short_is_refused_naming_it_and_the_fix(finished_files, tmp_path, drop):
    good = finished_files["path"]
    assert len(result_files.read_path(good)) == 2 * 5                       # splits x alphas
    bad = _cut(good, tmp_path / "interpolation.csv", drop)
    with pytest.raises(io.CorruptFileError) as e:
        result_files.read_path(bad)
    fix = f"rm {bad} && snakemake --cores 1 all"
    assert str(e.value).startswith(f"{bad}: ") and str(e.value).endswith(fix)


def test_an_interpolation_without_its_last_rows_or_with_an_edit_is_refused(finished_files, tmp_path):
    lines = finished_files["path"].read_text().splitlines(keepends=True)
    cases = {"last row": lines[:-1], "last split": lines[:6],
             "an edited error": [lines[0], lines[1].replace(",0,1", ",0.5,1")] + lines[2:]}
    for name, content in cases.items():
        bad = tmp_path / "interpolation.csv"
        bad.write_text("".join(content))
        with pytest.raises(io.CorruptFileError, match="cut short or edited"):
            result_files.read_path(bad)
        assert name


@pytest.mark.parametrize("drop", [2, 4, 30])
def test_metrics_cut_short_are_refused(finished_files, tmp_path, drop):
    assert len(result_files.read_metrics(finished_files["metrics"], 2)) == 2 * 2   # epochs x members
    bad = _cut(finished_files["metrics"], tmp_path / "metrics.csv", drop)
    with pytest.raises(io.CorruptFileError, match="metrics.csv: "):
        result_files.read_metrics(bad, 2)


def test_metrics_of_fewer_epochs_than_trained_are_refused(finished_files, tmp_path):
    with pytest.raises(io.CorruptFileError, match="holds 2 of 3 epochs"):
        result_files.read_metrics(finished_files["metrics"], 3)


def test_barriers_and_seeds_cut_short_are_refused(finished_files, tmp_path):
    table = result_files.read_barriers(finished_files["barriers"])
    assert len(table) == 4                                                     # settings x pairs
    for drop in (3, 40, len(finished_files["barriers"].read_text().splitlines()[-1]) + 1):
        with pytest.raises(io.CorruptFileError, match="table2.csv: "):
            result_files.read_barriers(_cut(finished_files["barriers"], tmp_path / "table2.csv", drop))
    assert set(result_files.read_seeds(finished_files["seeds"])) >= {"init_seed", "diverged"}
    with pytest.raises(io.CorruptFileError, match="seeds.json: not readable JSON"):
        result_files.read_seeds(_cut(finished_files["seeds"], tmp_path / "seeds.json", 3))


def test_a_diverged_pair_may_hold_non_finite_losses(tmp_path):
    rows = [{"epoch": 1, "member": m, "lr": 0.1, "train_loss": float("nan"), "train_acc": 0.1,
             "test_loss": float("inf"), "test_acc": 0.1, "diverged": True} for m in "ab"]
    io.write_csv(pd.DataFrame(rows), tmp_path / "metrics.csv")
    assert len(result_files.read_metrics(tmp_path / "metrics.csv", 5)) == 2     # stopped: both diverged


# --- the printed fixes, performed on a real workflow ----------------------------------------


def test_a_truncated_checkpoint_is_rebuilt_by_the_printed_fix(finished_workflow, tmp_path):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    before = result_bytes(wf)
    run = run_id(wf)
    a = wf.path / "results/runs" / run / "pair0/a.pt"
    os.truncate(a, a.stat().st_size // 2)
    proc = wf.snakemake("--cores", "1", "all", check=False)
    assert proc.returncode != 0
    line = last_line(wf.path / "results/runs" / run / "interpolate.log")
    rel = f"results/runs/{run}/pair0/a.pt"
    assert f"{rel}: not a readable checkpoint" in line
    assert line.endswith(f"rm {rel} && snakemake --cores 1 all")
    apply_fix(wf, fix_of(line))
    assert result_bytes(wf) == before
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout


def test_a_deleted_intermediate_is_planned_by_snakemake_all_and_by_its_artefact(finished_workflow, tmp_path):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    run = run_id(wf)
    for name in ("pair1/b.pt", "pair0/metrics.csv", "setting.json", "pair1/interpolation.csv"):
        path = wf.path / "results/runs" / run / name
        os.replace(path, tmp_path / "aside")
        for target in ("all", "table2"):
            proc = wf.snakemake("-n", target)
            assert "Nothing to be done" not in proc.stdout and "intermediate file(s) missing" in proc.stderr
        os.replace(tmp_path / "aside", path)
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout


def test_an_interpolation_cut_mid_row_stops_aggregation_and_the_fix_restores_it(finished_workflow, tmp_path):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    before = result_bytes(wf)
    run = run_id(wf)
    csv = wf.path / "results/runs" / run / "pair1/interpolation.csv"
    csv.write_bytes(csv.read_bytes()[:-9])                              # cut mid-row, newer than the barriers
    proc = wf.snakemake("--cores", "1", "all", check=False)
    assert proc.returncode != 0
    line = last_line(wf.path / "results/logs/aggregate/table2.log")
    rel = f"results/runs/{run}/pair1/interpolation.csv"
    assert f"{rel}: " in line and line.endswith(f"rm {rel} && snakemake --cores 1 all")
    barriers = wf.path / "results/barriers/table2.csv"                 # gone (Snakemake), never wrong
    assert not barriers.exists() or barriers.read_bytes() == before["results/barriers/table2.csv"]
    apply_fix(wf, fix_of(line))
    assert result_bytes(wf) == before


# --- records: an edit stops the run at DAG time, before Snakemake deletes anything ---------

TRAIN_BETON = "results/datasets/mnist/train.beton"


def _edit_json(path: Path, key: str, later_s: float = 0.0) -> None:
    record = __import__("json").loads(path.read_text())
    record[key] = "0" * 64 if isinstance(record[key], str) else record[key]
    path.write_text(__import__("json").dumps(record))
    if later_s:                                  # as an edit made a while after the conversion
        t = path.stat().st_mtime + later_s
        os.utime(path, (t, t))


@pytest.mark.parametrize("record, key, later_s", [
    ("results/datasets/mnist/train.arrays.json", "content_sha256", 0.0),
    ("results/datasets/mnist/train.beton.json", "content_sha256", 0.0),
    ("results/datasets/mnist/train.beton.json", "file_sha256", 120.0),
])
def test_an_edited_record_stops_the_run_before_anything_is_deleted(finished_workflow, tmp_path, record, key,
                                                                   later_s):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    before = result_bytes(wf)
    _edit_json(wf.path / record, key, later_s)
    proc = wf.snakemake("--cores", "1", "all", check=False)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("results/datasets/mnist/")]
    assert len(lines) == 1 and lines[0].startswith(record), proc.stderr[-2000:]
    assert lines[0].endswith(f"snakemake --cores 1 --force {TRAIN_BETON}")
    assert result_bytes(wf) == before, "no trained result may be deleted before the check"
    apply_fix(wf, fix_of(lines[0]))
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout
    assert result_bytes(wf) == before


def test_a_reformatted_record_re_runs_nothing_and_is_written_back(finished_workflow, tmp_path):
    """Same values in another form (an editor re-indented it): before, Snakemake saw a small
    input with another checksum and retrained every setting of the dataset."""
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    before = result_bytes(wf)
    record = wf.path / "results/datasets/mnist/train.arrays.json"
    canonical = record.read_bytes()
    values = __import__("json").loads(canonical)
    record.write_text(__import__("json").dumps(dict(reversed(list(values.items()))), indent=4))
    proc = wf.snakemake("-n", "all")
    assert "Nothing to be done" in proc.stdout, proc.stdout[-2000:]
    note = f"lmc: {record.relative_to(wf.path)}: reformatted since convert wrote it, same values"
    assert note in proc.stderr
    assert record.read_bytes() == canonical
    assert result_bytes(wf) == before


def test_a_record_with_another_value_in_another_form_is_an_edit(finished_workflow, tmp_path):
    wf = copy_workflow(finished_workflow[0], tmp_path / "wf")
    before = result_bytes(wf)
    record = wf.path / "results/datasets/mnist/train.arrays.json"
    values = __import__("json").loads(record.read_text())
    values["count"] += 1
    record.write_text(__import__("json").dumps(values))
    proc = wf.snakemake("--cores", "1", "all", check=False)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("results/datasets/mnist/")]
    assert len(lines) == 1 and lines[0].startswith(f"{record.relative_to(wf.path)}: its count differs"), lines
    assert lines[0].endswith(f"snakemake --cores 1 --force {TRAIN_BETON}")
    assert result_bytes(wf) == before
    apply_fix(wf, fix_of(lines[0]))
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout
    assert result_bytes(wf) == before
