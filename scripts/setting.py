"""Record a run's setting next to its results (rule: setting)."""
from lmc import io, logs

logs.to_file(snakemake.log[0])
io.write_json(dict(snakemake.params.setting), snakemake.output[0])
