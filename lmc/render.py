"""Render an artefact: its table (md, tex, csv, html), its paper figure (png, pdf) when
it is a figure, and its path figure (png, pdf)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from . import io, plots, tables

TITLES = {"table1": "Table 1", "table2": "Table 2", "table3": "Table 3", "table4": "Table 4",
          "figure1": "Figure 1", "figure2": "Figure 2", "figure3": "Figure 3", "figure5": "Figure 5"}


def write_table(table: tables.Table, outputs: Mapping[str, str]) -> None:
    io.write_text(tables.to_markdown(table), outputs["md"])
    io.write_text(tables.to_latex(table), outputs["tex"])
    io.write_csv(table.numbers, outputs["csv"])
    if "html" in outputs:
        io.write_text(tables.to_html(table), outputs["html"])


def render_artefact(artefact: str, barriers_csv: str, paths_csv: str, outputs: Mapping[str, str]) -> tables.Table:
    """Write every output of a trained artefact named in `outputs` (keys md, tex, csv,
    html; png, pdf for the paper's figure; paths_png, paths_pdf for the path figure)."""
    agg = pd.read_csv(barriers_csv)
    if artefact not in tables.RENDERERS:
        raise ValueError(f"no renderer for {artefact!r}; known: {', '.join(sorted(tables.RENDERERS))}")
    table = tables.RENDERERS[artefact](agg)
    write_table(table, outputs)
    if "png" in outputs:
        title = f"{table.title}: {table.caption}"
        plots.save(plots.FIGURES[artefact](agg, title), outputs["png"], outputs["pdf"])
    if "paths_png" in outputs:
        title = f"{table.title}: error along the linear path ({tables.provenance(agg)})"
        titles = tables.cell_titles(agg)
        for c, g in tables.cells(agg):
            if g["diverged"].astype(bool).any():
                titles[c] += " (* diverged)"
        plots.save(plots.path_figure(pd.read_csv(paths_csv), title, titles), outputs["paths_png"], outputs["paths_pdf"])
    return table


def render_table3(points: Sequence[Mapping[str, Any]], outputs: Mapping[str, str]) -> tables.Table:
    """Table 3 from its grid points (no training): parameter counts from lmc.models."""
    table = tables.table3(tables.table3_counts(points))
    write_table(table, outputs)
    return table
