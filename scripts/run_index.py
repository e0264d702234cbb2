"""results/runs/index.csv: run id -> readable setting columns (rule: run_index)."""
from lmc import io, logs, runs

logs.to_file(snakemake.log[0])
io.write_csv(runs.index_table(snakemake.params.runs, snakemake.input), snakemake.output[0])
