"""The path's shape against snapshot epoch and spawn point (rule: render_geometry_over_training)."""
from lmc.report import geometry_over_training
from lmc.util import logs

logs.to_file(snakemake.log[0])
geometry_over_training.render(snakemake.params.cells, dict(snakemake.output.items()))
