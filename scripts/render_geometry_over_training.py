"""The path's shape against snapshot epoch and spawn point (rule: render_geometry_over_training)."""
from lmc import geometry_over_training, logs

logs.to_file(snakemake.log[0])
geometry_over_training.render(snakemake.params.cells, dict(snakemake.output.items()))
