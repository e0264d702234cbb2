"""The docs against the code, in the spirit of doctest.

Job counts: a count the docs quote is written as the dry run that produces it,

    `snakemake -n all --configfile config/quick.yaml` plans 87 jobs

(backquoted command, then "plans N jobs", on one line; the command is run as written,
with --forceall, i.e. as from an empty results/). Every such sentence in README.md,
docs/*.md, config.yaml and config/*.yaml is checked, and config.yaml, the quick preset
and the fashion preset must each be quoted at least once. A count written any other way
must carry the date it was measured (YYYY-MM-DD in its paragraph), or is refused.

Layout: README's "What you get" lists every folder the jobs of those configs write.
"""

from __future__ import annotations

import re
import shlex
from functools import cache
from pathlib import Path

import pytest

from lmc.config import plan

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"`snakemake -n ([^`]+)` plans (\d[\d,]*) jobs")
REQUIRED = ("all", "all --configfile config/quick.yaml", "all --configfile config/fashion.yaml")
DATE = re.compile(r"20\d\d-\d\d-\d\d")
ANY_COUNT = re.compile(r"\b\d[\d,]*\s+(?:#\s*)?jobs\b")


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "config.yaml",
            *sorted((ROOT / "config").glob("*.yaml"))]


def quoted_counts() -> list[tuple[str, int, str, int]]:
    """(file, line number, dry-run arguments, quoted count) of every marker sentence."""
    found = []
    for path in doc_files():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for m in MARKER.finditer(line):
                count = int(m.group(2).replace(",", ""))
                found.append((str(path.relative_to(ROOT)), n, m.group(1).strip(), count))
    return found


@cache
def dry_run(args: str) -> str:
    return plan.dry_run(shlex.split(args), cwd=ROOT, forceall=True)


def planned_jobs(args: str) -> int:
    return sum(plan.jobs_per_rule(dry_run(args)).values())


def test_the_three_configs_have_their_job_counts_quoted():
    quoted = {args for _, _, args, _ in quoted_counts()}
    missing = [a for a in REQUIRED if a not in quoted]
    assert not missing, (
        "no quoted job count for " + "; ".join(f"`snakemake -n {a}`" for a in missing)
        + ": write `snakemake -n ARGS` plans N jobs in README.md or docs/ (tests/test_docs.py)")


@pytest.mark.parametrize("where,line,args,count", quoted_counts(), ids=lambda v: str(v))
def test_quoted_job_count_is_what_the_dry_run_plans(where, line, args, count):
    planned = planned_jobs(args)
    assert planned == count, (
        f"{where}:{line} quotes `snakemake -n {args}` plans {count} jobs, but it plans {planned}: "
        f"write {planned} there")


def test_every_other_job_count_is_a_dated_measurement():
    undated = []
    for path in doc_files():
        for paragraph in re.split(r"\n\s*#?\s*\n", path.read_text()):
            bare = MARKER.sub("", paragraph)
            for m in ANY_COUNT.finditer(bare):
                if not DATE.search(paragraph):
                    context = " ".join(bare[max(0, m.start() - 60):m.end()].split())
                    undated.append(f"{path.relative_to(ROOT)}: ...{context}")
    assert not undated, ("job counts neither quoted as `snakemake -n ARGS` plans N jobs nor dated "
                         "(YYYY-MM-DD in the paragraph):\n" + "\n".join(undated))


def readme_layout() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## What you get", 1)[1]
    return section.split("```", 2)[1]


@pytest.mark.parametrize("args", REQUIRED)
def test_readme_layout_lists_every_folder_the_jobs_write(args):
    lines = [line for line in readme_layout().splitlines() if line.strip()]
    listed = {line.split()[0].split("{")[0].rstrip("/") for line in lines}
    folders = plan.written_folders(dry_run(args))
    missing = sorted(f for f in folders if not any(entry.startswith(f) for entry in listed))
    assert not missing, (f"README.md \"What you get\" does not list {', '.join(missing)}, written by "
                         f"`snakemake -n {args}`'s jobs")
