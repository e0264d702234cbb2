"""Barriers of every setting x pair of one artefact (rule: aggregate)."""
from lmc import aggregate, io, logs

logs.to_file(snakemake.log[0])
files = [
    aggregate.PairFiles(setting_json=s, metrics_csv=m, interpolation_csv=p, **cell)
    for s, m, p, cell in zip(snakemake.input.settings, snakemake.input.metrics, snakemake.input.paths,
                             snakemake.params.cells, strict=True)
]
io.write_csv(aggregate.aggregate(files), snakemake.output.barriers)
io.write_csv(aggregate.paths(files), snakemake.output.paths)
