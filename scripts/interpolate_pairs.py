"""Evaluate the linear path of every pair at every spawn point k > 0 of one setting, in
one process (rule: interpolate_spawned)."""

from lmc.jobs import dynamics
from lmc.util import io, logs

logs.to_file(snakemake.log[0])
pairs = snakemake.params.pairs
cells = [(i, k) for i in range(len(snakemake.params.points)) for k in pairs]
tables = dynamics.paths_job(
    setting=snakemake.params.setting,
    betons={"train": snakemake.params.betons["train"], "test": snakemake.params.betons["test"]},
    ends=[(snakemake.input[f"a{k}_{i}"], snakemake.input[f"b{k}_{i}"]) for i, k in cells],
    alphas=snakemake.params.alphas,
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
for (i, k), table in zip(cells, tables):
    io.write_csv(table, snakemake.output[f"interpolation{k}_{i}"])
