"""results/runs/provenance.csv: every pair's provenance.json in one table (rule: provenance_table)."""
import json

from lmc.util import io, logs, provenance

logs.to_file(snakemake.log[0])
records = [json.loads(open(path).read()) for path in snakemake.input]
io.write_csv(provenance.table(snakemake.params.runs, snakemake.params.pairs, records), snakemake.output[0])
