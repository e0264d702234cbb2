"""Permute B's hidden units to match A and evaluate the aligned path, every pair of every
setting of one artefact and dataset (rules: align_pairs_<artefact>_<dataset>)."""
from lmc.jobs import analyses
from lmc.util import logs

logs.to_file(snakemake.log[0])
files = [{"a": a, "b": b, "permutation": p, "aligned": o, "path": c}
         for a, b, p, o, c in zip(snakemake.input.a, snakemake.input.b, snakemake.output.permutation,
                                  snakemake.output.aligned, snakemake.output.path, strict=True)]
analyses.align_job(
    settings=analyses.per_setting(snakemake.params.settings, files, snakemake.params.pairs),
    method=snakemake.params.method,
    seed=snakemake.params.seed,
    max_sweeps=snakemake.params.max_sweeps,
    alphas=snakemake.params.alphas,
    betons={"train": snakemake.params.betons["train"], "test": snakemake.params.betons["test"]},
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
