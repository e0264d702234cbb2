"""An artefact's layer-wise barriers: CSV, table and heatmap (rules: render_layerwise_<artefact>)."""
from lmc.report import analyses
from lmc.util import logs

logs.to_file(snakemake.log[0])
analyses.render_layerwise(snakemake.params.artefact, snakemake.input.barriers, snakemake.params.cells,
                                 dict(snakemake.output.items()))
