"""Render what the paper is held against: the claims table and the paper comparison
(table and figure), in the formats of every artefact (lmc.report.render.write_table)."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from lmc.aggregate.result_files import read_barriers
from lmc.paper import claims, comparison, comparison_plot, comparison_table, printed_values
from lmc.report import layout, plots
from lmc.report.render import write_table


def render_claims(barriers_csvs: Mapping[str, str], outputs: Mapping[str, str]) -> layout.Table:
    """The claims table from the aggregated barriers of the artefacts it reads
    (artefact -> barriers CSV; only the configured ones)."""
    table = claims.claims_table({name: read_barriers(path) for name, path in barriers_csvs.items()})
    write_table(table, outputs)
    return table


def render_paper_comparison(values_csv: str, results_csvs: Mapping[str, str],
                            outputs: Mapping[str, str]) -> layout.Table:
    """The paper comparison (md, tex, csv, html; png, pdf) from the paper-values file and
    the configured source artefacts' results (artefact -> aggregated barriers CSV;
    table3 -> its parameter-count CSV)."""
    values = printed_values.load(values_csv)
    frame = comparison.compare(values, {name: pd.read_csv(path) for name, path in results_csvs.items()})
    threshold = printed_values.lmc_threshold_percent(values)
    table = comparison_table.comparison_table(frame, threshold)
    write_table(table, outputs)
    plots.save(comparison_plot.figure(frame, threshold, comparison_table.figure_caption(frame)),
               outputs["png"], outputs["pdf"])
    return table
