"""Evaluate the linear path of every pair spawned at one point (rule: interpolate_spawned)."""

from lmc import dynamics_job, io, logs

logs.to_file(snakemake.log[0])
pairs = snakemake.params.pairs
tables = dynamics_job.paths_job(
    setting=snakemake.params.setting,
    betons={"train": snakemake.params.betons["train"], "test": snakemake.params.betons["test"]},
    ends=[(snakemake.input[f"a{k}"], snakemake.input[f"b{k}"]) for k in pairs],
    alphas=snakemake.params.alphas,
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
for k, table in zip(pairs, tables):
    io.write_csv(table, snakemake.output[f"interpolation{k}"])
