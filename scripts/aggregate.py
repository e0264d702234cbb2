"""Barriers of every setting x pair of one artefact (rule: aggregate)."""
from lmc.aggregate import barriers
from lmc.util import io, logs

logs.to_file(snakemake.log[0])
files = [
    barriers.PairFiles(setting_json=s, metrics_csv=m, interpolation_csv=p, **cell)
    for s, m, p, cell in zip(snakemake.input.settings, snakemake.input.metrics, snakemake.input.paths,
                             snakemake.params.cells, strict=True)
]
io.write_csv(barriers.aggregate(files), snakemake.output.barriers)
io.write_csv(barriers.paths(files), snakemake.output.paths)
