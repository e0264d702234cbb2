"""An artefact's plane figures: test error around init, A and B (rules: render_plane_<artefact>)."""
from lmc import analysis_render, logs

logs.to_file(snakemake.log[0])
analysis_render.render_plane(snakemake.params.artefact, snakemake.input.barriers, snakemake.params.cells,
                             dict(snakemake.output.items()))
