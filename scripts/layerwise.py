"""Layer-wise averaged networks of every pair of one setting (rule: layerwise_barriers)."""
from lmc import analyses_job, logs

logs.to_file(snakemake.log[0])
analyses_job.layerwise_job(
    setting=snakemake.params.setting,
    pairs=[{"a": a, "b": b, "layerwise": o}
           for a, b, o in zip(snakemake.input.a, snakemake.input.b, snakemake.output)],
    betons={"train": snakemake.params.betons["train"], "test": snakemake.params.betons["test"]},
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
