"""The paper's artefacts, in one registry: what each is called and how it is made.

Every other place that needs an artefact's kind reads it from here: the schema's enum
(a test checks they agree), the table builders (`lmc.report.paper_tables.BUILDERS`), the figure
plotters (`lmc.report.plots.FIGURES`), the grid (artefacts without training get no settings)
and the report's categories (`rules/report.smk`). Importing this module costs nothing
(no torch, no matplotlib), so the Snakefile can read it while parsing."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Artefact:
    name: str          # config key and Snakemake target, e.g. "table2"
    title: str         # how the paper names it, e.g. "Table 2"
    figure: bool       # a figure in the paper: rendered as a plot besides its table of numbers
    trained: bool      # made from its own trained pairs (False: from the model classes or other artefacts)
    sources: tuple[str, ...] = ()   # the artefacts whose results it reads (claims, paper_comparison)
    # what its barriers are measured between: "pairs" (each setting's final A and B),
    # "spawn" (A and B spawned from a trunk at k, lmc.train.spawn), "snapshots" (A_t and B_t
    # along training, lmc.train.snapshots); the last two have their own rules (rules/dynamics.smk)
    kind: str = "pairs"
    paper: bool = True  # one of the paper's own tables and figures (False: beyond the paper)


ARTEFACTS: dict[str, Artefact] = {
    a.name: a
    for a in [
        Artefact("table1", "Table 1", figure=False, trained=True),
        Artefact("figure1", "Figure 1", figure=True, trained=True),
        Artefact("table2", "Table 2", figure=False, trained=True),
        Artefact("figure2", "Figure 2", figure=True, trained=True),
        Artefact("table3", "Table 3", figure=False, trained=False),
        Artefact("figure3", "Figure 3", figure=True, trained=True),
        Artefact("table4", "Table 4", figure=False, trained=True),
        Artefact("figure5", "Figure 5", figure=True, trained=True),
        # Beyond the paper: the barrier against the initialisation scheme and scale.
        Artefact("initialisation", "Initialisation", figure=True, trained=True, paper=False),
        # Beyond the paper: its qualitative claims checked against the artefacts above.
        # Table 4 has Figure 3's runs: its claims read either; Figure 5 is compared with Figure 3.
        Artefact("claims", "Claims", figure=False, trained=False, paper=False,
                 sources=("table1", "figure1", "table2", "figure2", "figure3", "table4", "figure5")),
        # Beyond the paper: every number the paper prints beside this project's (lmc.paper.comparison);
        # Table 4 prints the accuracies of the Figure 3 runs, Table 3 the parameter counts.
        Artefact("paper_comparison", "Paper comparison", figure=True, trained=False, paper=False,
                 sources=("table1", "table2", "table3", "table4", "figure3")),
        # Beyond the paper: when LMC appears. Spawn-at-k instability and barriers along training.
        Artefact("instability", "Instability", figure=True, trained=True, kind="spawn", paper=False),
        Artefact("barrier_over_time", "Barrier over time", figure=True, trained=True, kind="snapshots",
                 paper=False),
    ]
}


def title(name: str) -> str:
    """'Table 2' for 'table2'."""
    return ARTEFACTS[name].title


def trained(names: list[str] | tuple[str, ...]) -> list[str]:
    """The artefacts among `names` that need trained pairs, in the given order."""
    return [n for n in names if ARTEFACTS[n].trained]


def of_final_pairs(names: list[str] | tuple[str, ...]) -> list[str]:
    """The trained artefacts among `names` made from each setting's final pairs (the
    generic aggregate rule and path figures), in the given order."""
    return [n for n in trained(names) if ARTEFACTS[n].kind == "pairs"]


def sources(name: str, present: list[str] | tuple[str, ...]) -> list[str]:
    """The artefacts `name` reads that are among `present` (the configured ones)."""
    return [s for s in ARTEFACTS[name].sources if s in present]


def of_paper(names: list[str] | tuple[str, ...]) -> list[str]:
    """The paper's own tables and figures among `names`, in the given order."""
    return [n for n in names if ARTEFACTS[n].paper]


def figures(names: list[str] | tuple[str, ...]) -> list[str]:
    """The artefacts among `names` that are figures in the paper, in the given order."""
    return [n for n in names if ARTEFACTS[n].figure]
