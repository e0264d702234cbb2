"""Render an artefact: its table (md, tex, csv, html), its paper figure (png, pdf) when
it is a figure, and its path figure (png, pdf)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lmc.aggregate.result_files import read_barriers
from lmc.config.artefacts import ARTEFACTS
from lmc.report import aligned_rows, formats, layout, names, paper_tables, plots, summary
from lmc.util import io


def write_table(table: layout.Table, outputs: Mapping[str, str]) -> None:
    io.write_text(formats.to_markdown(table), outputs["md"])
    io.write_text(formats.to_latex(table), outputs["tex"])
    io.write_csv(table.numbers, outputs["csv"])
    if "html" in outputs:
        io.write_text(formats.to_html(table), outputs["html"])


def render_artefact(artefact: str, barriers_csv: str, paths_csv: str | None,
                    outputs: Mapping[str, str]) -> layout.Table:
    """Write every output of a trained artefact named in `outputs` (keys md, tex, csv,
    html; png, pdf for the paper's figure; paths_png, paths_pdf for the path figure)."""
    if artefact not in paper_tables.BUILDERS:
        known = ", ".join(sorted(paper_tables.BUILDERS))
        raise ValueError(f"no table builder for {artefact!r}; known: {known}")
    agg = read_barriers(barriers_csv)
    table = aligned_rows.with_aligned(paper_tables.BUILDERS[artefact], agg)
    write_table(table, outputs)
    if "png" in outputs and ARTEFACTS[artefact].figure:
        title = f"{table.title}: {table.caption}"
        plots.save(plots.FIGURES[artefact](agg, title), outputs["png"], outputs["pdf"])
    if "paths_png" in outputs:
        title = f"{table.title}: error along the linear path ({summary.basis(agg)})"
        titles = names.cell_titles(agg)
        for c, g in summary.cells(agg):
            if summary.is_diverged(g):
                titles[c] += " (* diverged)"
        plots.save(plots.path_figure(pd.read_csv(paths_csv), title, titles),
                   outputs["paths_png"], outputs["paths_pdf"])
    return table


def render_table3(points: Sequence[Mapping[str, Any]], outputs: Mapping[str, str]) -> layout.Table:
    """Table 3 from its grid points (no training): parameter counts from lmc.nn.models."""
    from lmc.report import parameter_counts  # builds models: torch, needed by Table 3 alone

    table = parameter_counts.table3(parameter_counts.parameter_table(points))
    write_table(table, outputs)
    return table
