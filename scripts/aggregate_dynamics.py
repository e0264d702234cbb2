"""Barriers of every setting x (spawn point or snapshot epoch) x pair (rules: aggregate_instability,
aggregate_barrier_over_time)."""

from lmc.aggregate import dynamics_barriers
from lmc.util import io, logs

logs.to_file(snakemake.log[0])
inputs = snakemake.input
keys = [k for k in ("metrics", "interpolation", "seeds") if k in inputs.keys()]
files = [dict(zip(keys, f, strict=True)) for f in zip(*(inputs[k] for k in keys), strict=True)]
build = (
    dynamics_barriers.instability_table
    if snakemake.params.artefact == "instability"
    else dynamics_barriers.over_time_table
)
io.write_csv(build(snakemake.params.cells, files), snakemake.output.barriers)
