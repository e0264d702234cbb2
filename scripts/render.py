"""Render one artefact's table (md, tex, csv, html) and figures (png, pdf) (rules: render_<artefact>)."""
from lmc.report import render
from lmc.util import logs

logs.to_file(snakemake.log[0])
render.render_artefact(snakemake.params.artefact, snakemake.input.barriers, snakemake.input.get("paths"),
                       dict(snakemake.output.items()))
