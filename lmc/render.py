"""Render an artefact: its table (md, tex, csv) and its path figure (png, pdf)."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from . import io, plots, tables


def render_artefact(artefact: str, barriers_csv: str, paths_csv: str, outputs: Mapping[str, str]) -> None:
    agg = pd.read_csv(barriers_csv)
    table = tables.RENDERERS[artefact](agg)
    io.write_text(tables.to_markdown(table), outputs["md"])
    io.write_text(tables.to_latex(table), outputs["tex"])
    io.write_csv(table.numbers, outputs["csv"])
    title = f"{table.title}: error along the linear path ({tables.provenance(agg)})"
    plots.save(plots.path_figure(pd.read_csv(paths_csv), title), outputs["png"], outputs["pdf"])
