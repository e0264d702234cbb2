"""results/runs/index.csv: run id -> readable setting columns (rule: run_index)."""
from lmc.jobs import setup
from lmc.util import io, logs

logs.to_file(snakemake.log[0])
io.write_csv(setup.index_table(snakemake.params.runs, snakemake.input), snakemake.output[0])
