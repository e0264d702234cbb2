"""An artefact's plane figures: test error around init, A and B (rules: render_plane_<artefact>)."""
from lmc.report import analyses
from lmc.util import logs

logs.to_file(snakemake.log[0])
analyses.render_plane(snakemake.params.artefact, snakemake.input.barriers, snakemake.params.cells,
                             dict(snakemake.output.items()))
