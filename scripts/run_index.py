"""results/runs/index.csv: run id -> readable setting columns (rule: run_index)."""
from lmc import io, runs

io.write_csv(runs.index_table(snakemake.input), snakemake.output[0])
