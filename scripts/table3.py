"""Table 3: parameter counts computed from the model classes, no training (rule: parameter_counts)."""
from lmc.report import render
from lmc.util import logs

logs.to_file(snakemake.log[0])
render.render_table3(snakemake.params.points, dict(snakemake.output.items()))
