"""`make quick`: every artefact of config/quick.yaml, saying where it is. Before it starts,
one line with the jobs a dry run plans and about how long they take (scaled from the last
measured run, docs/performance/quick.json, by this machine's matmul rate; without one,
lmc.config.cost's FLOPs at that rate plus each job's start-up); then
Snakemake's own progress ("N of M steps done"); at the end the three files to open first.

    python tools/quick.py [--cores 2] [--record] [--paper-only]

--record (from an empty results/ only) writes this run's wall time, job count, date and
machine to docs/performance/quick.json: the measurement README quotes and the next
estimate scales from. --paper-only runs the paper's own tables and figures alone (no
analyses, dynamics, initialisation, claims or comparison): the subset the whole preset's
time is compared with (README); with --record it writes docs/performance/quick-paper.json."""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from lmc.config import artefacts, plan

PRESET = "config/quick.yaml"
TARGET = "all"
PAPER_MEASUREMENT = "docs/performance/quick-paper.json"


def paper_targets() -> list[str]:
    """The paper's own tables and figures: each one's Markdown table and, for a figure, its
    PNG (their render jobs write the other formats beside them)."""
    out = []
    for name in artefacts.of_paper(list(artefacts.ARTEFACTS)):
        out.append(f"results/tables/{name}.md")
        if artefacts.ARTEFACTS[name].figure:
            out.append(f"results/figures/{name}.png")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--record", action="store_true",
                        help=f"write this run's measurement to {plan.MEASUREMENT} (needs an empty results/)")
    parser.add_argument("--note", default="idle machine", help="what else ran on the machine (with --record)")
    parser.add_argument("--paper-only", action="store_true",
                        help="only the paper's own tables and figures (the subset README compares with)")
    parser.add_argument("--snakemake", default=None, help="the snakemake executable (default: beside python)")
    args = parser.parse_args(argv)
    snakemake = args.snakemake or plan.snakemake_bin()
    targets = paper_targets() if args.paper_only else [TARGET]
    record_to = PAPER_MEASUREMENT if args.paper_only else plan.MEASUREMENT
    if args.record and Path("results").exists():
        print("make quick: --record measures a run from an empty results/, and results/ exists "
              "(move it aside first)", file=sys.stderr)
        return 1
    try:
        dry = plan.dry_run([*targets, "--configfile", PRESET], snakemake=snakemake)
        jobs = sum(plan.jobs_per_rule(dry).values())
        measured = plan.load_measurement(record_to)
    except plan.PlanError as e:
        print(f"make quick: {e}", file=sys.stderr)
        return 1
    gflops = plan.matmul_gflops()
    pflop = None if measured or args.paper_only else plan.compute_pflop(["config.yaml", PRESET])
    print("make quick: " + plan.plan_line(jobs, args.cores, gflops, measured, source=record_to, pflop=pflop),
          flush=True)
    if jobs == 0:
        print("\n".join(plan.done_lines(".")))
        return 0
    start = time.monotonic()
    rc = subprocess.call([snakemake, "--cores", str(args.cores), *targets, "--configfile", PRESET])
    wall = time.monotonic() - start
    if rc:
        print(f"make quick: Snakemake failed after {plan.minutes(wall)} (exit {rc}); the error is above, "
              "each job's log under results/ (the path is in the error); run `make quick` again to "
              "continue where it stopped.", file=sys.stderr)
        return rc
    print(f"make quick: {jobs} jobs done in {plan.minutes(wall)}.")
    report = f"snakemake --report results/report.html --configfile={PRESET}"
    first = [t for t in targets if t.endswith((".md", ".png"))][:3] if args.paper_only else plan.FIRST_FILES
    print("\n".join(plan.done_lines(".", files=first, report_command=report)))
    if args.record:
        plan.save_measurement(
            plan.Measurement(date=datetime.date.today().isoformat(), machine=plan.machine_name(),
                             gflops_per_core=round(gflops, 1), cores=args.cores, jobs=jobs,
                             wall_s=round(wall, 1), note=args.note),
            record_to)
        print(f"make quick: measurement written to {record_to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
