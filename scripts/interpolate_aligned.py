"""The linear path from A to the aligned B, every pair of one setting (rule: interpolate_aligned)."""
from lmc import analyses_job, logs

logs.to_file(snakemake.log[0])
analyses_job.aligned_path_job(
    setting=snakemake.params.setting,
    pairs=[{"a": a, "aligned": b, "path": p}
           for a, b, p in zip(snakemake.input.a, snakemake.input.aligned, snakemake.output)],
    betons={"train": snakemake.input.train, "test": snakemake.input.test},
    alphas=snakemake.params.alphas,
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
