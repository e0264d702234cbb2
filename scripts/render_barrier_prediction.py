"""Predicted against measured barriers of every pair with derivatives (rule: render_barrier_prediction)."""
from lmc.report import barrier_prediction
from lmc.util import logs

logs.to_file(snakemake.log[0])
barrier_prediction.render(snakemake.params.cells, dict(snakemake.output.items()))
