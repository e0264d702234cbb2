"""The library-code digest in each rule's params (lmc/util/code.py): a code change re-runs
exactly the jobs whose results it can change; comment and docstring edits re-run nothing."""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, Workflow, jobs_per_rule, tiny_config

from lmc.util import code


@pytest.fixture
def lib(tmp_path) -> Path:
    """A copy of lmc/ to edit."""
    dst = tmp_path / "lmc"
    shutil.copytree(ROOT / "lmc", dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def cosmetic_edit(path: Path) -> None:
    """A comment, blank lines and changed docstrings: the code stays the same."""
    text = path.read_text()
    assert text.startswith('"""'), path
    text = '"""Edited module docstring. ' + text[3:]
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):                       # the first function's docstring
        if line.startswith("def ") and lines[i + 1].lstrip().startswith('"""'):
            lines[i + 1] = lines[i + 1].replace('"""', '"""Edited. ', 1)
            break
    lines.insert(len(lines) // 2, "\n# an added comment\n\n")
    path.write_text("".join(lines))


def test_digest_is_short_hex_and_stable(lib):
    d = code.digest("jobs.setup", package=lib)
    assert len(d) == 12 and int(d, 16) >= 0
    assert code.digest("jobs.setup", package=lib) == d == code.digest("jobs.setup", "jobs.setup", package=lib)
    assert code.digest("jobs.setup", package=lib) == code.digest("jobs.setup", package=ROOT / "lmc")


def test_imported_package_is_digested():
    import lmc

    assert code.package_dir() == str(Path(lmc.__file__).resolve().parent)
    root = "aggregate.barriers"
    assert code.digest(root) == code.digest(root, package=Path(lmc.__file__).parent)


def test_closure_follows_lmc_imports_only():
    assert code.modules("aggregate.barriers") == [
        "aggregate.barriers", "aggregate.result_files", "data.datasets", "evaluate.barrier", "util.io"]
    train = code.modules("train.loop")
    assert {"train.loop", "nn.models", "nn.initialisation", "nn.stacked", "data.sources"} <= set(train)
    assert "evaluate.barrier" not in train and "report.render" not in train
    assert code.modules("config.grid") == [
        "config.artefacts", "config.grid", "data.datasets", "train.settings"]


def test_comment_and_docstring_edits_change_nothing(lib):
    roots = ("aggregate.barriers", "evaluate.barrier")
    before = {r: code.digest(r, package=lib) for r in roots}
    cosmetic_edit(lib / "evaluate/barrier.py")
    assert "an added comment" in (lib / "evaluate/barrier.py").read_text()
    assert {r: code.digest(r, package=lib) for r in roots} == before


def test_code_edit_changes_digest_and_propagates_to_dependents(lib):
    roots = ("evaluate.barrier", "aggregate.barriers", "jobs.setup", "config.grid", "report.render")
    before = {r: code.digest(r, package=lib) for r in roots}
    edit(lib / "evaluate/barrier.py", "0.5 * (e[0] + e[-1])", "(e[0] + e[-1]) / 2")
    after = {r: code.digest(r, package=lib) for r in before}
    assert after["evaluate.barrier"] != before["evaluate.barrier"]
    assert after["aggregate.barriers"] != before["aggregate.barriers"]     # it imports evaluate.barrier
    # modules that do not depend on barrier keep their digest
    unrelated = ("jobs.setup", "config.grid", "report.render")
    assert {r: after[r] for r in unrelated} == {r: before[r] for r in unrelated}


def test_transitive_dependency_change_propagates(lib):
    dependent = ("jobs.train", "jobs.interpolate", "train.loop", "evaluate.interpolate")
    roots = (*dependent, "aggregate.barriers", "jobs.setup")
    before = {r: code.digest(r, package=lib) for r in roots}
    append(lib / "nn/initialisation.py", "\n_EDITED = 1\n")   # jobs.train -> train.loop -> nn.models -> it
    after = {r: code.digest(r, package=lib) for r in before}
    assert all(after[r] != before[r] for r in dependent)
    assert all(after[r] == before[r] for r in ("aggregate.barriers", "jobs.setup"))


def test_training_and_interpolation_jobs_are_digested_apart(lib):
    """An edit of the training loop must not re-run interpolation, nor the reverse."""
    before = {r: code.digest(r, package=lib) for r in ("jobs.train", "jobs.interpolate")}
    append(lib / "train/loop.py", "\n_EDITED = 1\n")
    middle = {r: code.digest(r, package=lib) for r in before}
    assert middle["jobs.train"] != before["jobs.train"]
    assert middle["jobs.interpolate"] == before["jobs.interpolate"]
    append(lib / "evaluate/interpolate.py", "\n_EDITED = 1\n")
    after = {r: code.digest(r, package=lib) for r in before}
    assert after["jobs.interpolate"] != middle["jobs.interpolate"]
    assert after["jobs.train"] == middle["jobs.train"]


def test_import_forms(tmp_path):
    """`from . import x`, `from .x import y`, `import pkg.x`, `from pkg.x import y`, a lazy
    import inside a function, a name from the package's __init__; others are ignored."""
    pkg = tmp_path / "lmc"
    pkg.mkdir()
    files = {
        "__init__.py": "VERSION = 1\n",
        "root.py": """
            import os
            import numpy
            from . import a
            from .b import thing
            import lmc.c
            from lmc import VERSION

            def lazy():
                from lmc.d import other
                return other
        """,
        "a.py": "from . import e\n",
        "b.py": "thing = 1\n",
        "c.py": "",
        "d.py": "other = 2\n",
        "e.py": "",
        "unused.py": "",
    }
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text))
    assert code.modules("root", package=pkg) == ["__init__", "a", "b", "c", "d", "e", "root"]
    assert code.modules("a", package=pkg) == ["a", "e"]
    d = code.digest("root", package=pkg)
    (pkg / "unused.py").write_text("x = 1\n")
    assert code.digest("root", package=pkg) == d
    (pkg / "e.py").write_text("x = 1\n")
    assert code.digest("root", package=pkg) != d
    with pytest.raises(ValueError, match="no module 'missing'"):
        code.digest("missing", package=pkg)


def test_docstrings_of_classes_and_functions_are_ignored(tmp_path):
    pkg = tmp_path / "lmc"
    pkg.mkdir()
    src = 'class A:\n    """One."""\n    def f(self):\n        """Two."""\n        return 1  # c\n'
    (pkg / "m.py").write_text(src)
    d = code.digest("m", package=pkg)
    (pkg / "m.py").write_text(src.replace("One.", "Uno, longer.").replace("Two.", "Dos.\n\n        More."))
    assert code.digest("m", package=pkg) == d
    (pkg / "m.py").write_text(src.replace("return 1", "return 2"))
    assert code.digest("m", package=pkg) != d


def test_no_torch_import():
    proc = subprocess.run([sys.executable, "-c", "import sys, lmc.util.code; print('torch' in sys.modules)"],
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


def test_library_edits_rerun_exactly_what_they_affect(tmp_path, digits_folder):
    """A real workflow with its own copy of lmc/: a cosmetic edit plans nothing, a
    barrier change plans aggregation and rendering, a training change plans training
    and everything after it."""
    wf = Workflow(tmp_path / "wf")
    lib = wf.own_library()
    wf.write_config(tiny_config(digits_folder))
    wf.snakemake("--cores", "2", "all")
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout

    barrier = lib / "evaluate" / "barrier.py"
    original = barrier.read_text()
    cosmetic_edit(barrier)
    assert "Nothing to be done" in wf.snakemake("-n", "all").stdout

    append(barrier, "\n_EDITED = 1\n")
    out = wf.snakemake("-n", "all").stdout
    assert jobs_per_rule(out) == {"aggregate": 1, "render_table2": 1, "all": 1}, out[-3000:]
    assert "Params have changed" in out

    barrier.write_text(original)
    append(lib / "train" / "loop.py", "\n_EDITED = 1\n")
    jobs = jobs_per_rule(wf.snakemake("-n", "all").stdout)
    # the run index reads setting.json, which the training jobs write (with the same bytes)
    assert jobs == {"train_setting": 2, "interpolate": 2, "aggregate": 1, "render_table2": 1,
                    "provenance_table": 1, "run_index": 1, "all": 1}, jobs
