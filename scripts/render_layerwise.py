"""An artefact's layer-wise barriers: CSV, table and heatmap (rules: render_layerwise_<artefact>)."""
from lmc import analysis_render, logs

logs.to_file(snakemake.log[0])
analysis_render.render_layerwise(snakemake.params.artefact, snakemake.input.barriers, snakemake.params.cells,
                                 dict(snakemake.output.items()))
