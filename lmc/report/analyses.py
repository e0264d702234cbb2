"""Rendering of the analyses beyond the paper: the layer-wise barriers' CSV, table and
heatmap (`render_layerwise`) and the plane figure (`render_plane`); plots are in
`lmc.report.analyses_plots`, the aligned rows of an artefact's own table in `lmc.report.aligned_rows`."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lmc.aggregate import result_files
from lmc.analyses import layerwise
from lmc.config.artefacts import title as artefact_title
from lmc.report import analyses_plots, names, plots
from lmc.report.layout import Cells, Table, layout
from lmc.report.render import write_table
from lmc.report.summary import basis
from lmc.report.summary import cells as setting_cells
from lmc.util import io

VARIANTS = {"single": "layer l averaged", "cumulative": "layers 1..l averaged"}


def layerwise_table(agg: pd.DataFrame, lw: pd.DataFrame, title: str) -> Table:
    """Rows (setting, layer), columns variant x split: the layer-wise error barrier (%),
    mean ± std over pairs and both ends (A and B with the layer averaged)."""
    out = Cells()
    titles = names.cell_titles(agg)
    groups = dict(setting_cells(agg))
    for (c, li, layer), g in lw.groupby(["cell", "layer_index", "layer"], sort=True):
        row = f"{titles[int(c)]}: {li}. {layer}"
        for variant in VARIANTS:
            for split in ("test", "train"):
                values = g[(g["variant"] == variant) & (g["split"] == split)]["error_barrier"]
                out.add(int(c), groups[int(c)], row, f"{VARIANTS[variant]}: {split}",
                        f"{variant}_error_barrier", split, values, keys=((int(c), int(li)), (variant, split)))
    header, body, _ = layout(out.entries, corner="setting: layer")
    caption = (f"Layer-wise error barriers (in %) of {title}: the network A (and B) with one "
               "layer (or layers 1..l) replaced by the average of A's and B's, against ½(E(A)+E(B)), as in "
               f"Eq. 1 (beyond the paper; Adilova et al. 2024). {basis(agg)}.")
    notes = ["Mean ± std over pairs and over both ends (A and B with the same layers averaged).",
             "A layer is a module's weight and bias together; with every layer averaged the network is the "
             "midpoint Θ(½) of the linear path."]
    return Table(f"{title}, layer-wise", caption, header, body, out.frame(), notes)


def render_layerwise(artefact: str, barriers_csv: str, cells: Sequence[Mapping[str, Any]],
                     outputs: Mapping[str, str]) -> Table:
    agg = result_files.read_barriers(barriers_csv)
    lw = layerwise.aggregate(cells)
    io.write_csv(lw, outputs["barriers"])
    title = artefact_title(artefact)
    table = layerwise_table(agg, lw, title)
    write_table(table, outputs)
    fig = analyses_plots.layerwise_heatmap(lw, names.cell_titles(agg),
                                           f"{title}: layer-wise test error barrier ({basis(agg)})")
    plots.save(fig, outputs["fig_png"], outputs["fig_pdf"])
    return table


def render_plane(artefact: str, barriers_csv: str, cells: Sequence[Mapping[str, Any]],
                 outputs: Mapping[str, str]) -> None:
    agg = result_files.read_barriers(barriers_csv)
    panels = []
    titles = names.cell_titles(agg)
    for c in cells:
        frame = io.read_csv(c["plane_csv"], ("x", "y", "split", "loss", "error"))
        with open(c["anchors_json"]) as f:
            anchors = json.load(f)["anchors"]
        panels.append((f"{titles[int(c['cell'])]}, pair {c['pair']}", frame, anchors))
    title = f"{artefact_title(artefact)}: test error on the plane through Θ₀, A and B ({basis(agg)})"
    plots.save(analyses_plots.plane_figure(panels, title), outputs["png"], outputs["pdf"])
