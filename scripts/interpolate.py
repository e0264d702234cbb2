"""Evaluate the linear path between A and B (rule: interpolate)."""
from lmc import interpolate_job, io, logs

logs.to_file(snakemake.log[0])
table = interpolate_job.interpolate_job(
    setting_json=snakemake.input.setting,
    a=snakemake.input.a,
    b=snakemake.input.b,
    betons={"train": snakemake.input.train, "test": snakemake.input.test},
    alphas=snakemake.params.alphas,
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
io.write_csv(table, snakemake.output[0])
