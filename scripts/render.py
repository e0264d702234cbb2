"""Render one artefact's table (md, tex, csv) and path figure (png, pdf) (rule: render)."""
from lmc import logs, render

logs.to_file(snakemake.log[0])
render.render_artefact(snakemake.wildcards.artefact, snakemake.input.barriers, snakemake.input.paths,
                       dict(snakemake.output.items()))
