"""Permute B's hidden units to match A and evaluate the aligned path, every pair of one
setting (rule: align_pairs)."""
from lmc import analyses_job, logs

logs.to_file(snakemake.log[0])
analyses_job.align_job(
    setting=snakemake.params.setting,
    pairs=[
        {"a": a, "b": b, "permutation": p, "aligned": o, "path": c}
        for a, b, p, o, c in zip(snakemake.input.a, snakemake.input.b, snakemake.output.permutation,
                                 snakemake.output.aligned, snakemake.output.path)
    ],
    method=snakemake.wildcards.method,
    seed=snakemake.params.seed,
    max_sweeps=snakemake.params.max_sweeps,
    alphas=snakemake.params.alphas,
    betons={"train": snakemake.params.betons["train"], "test": snakemake.params.betons["test"]},
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
