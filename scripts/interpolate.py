"""Evaluate the linear path between A and B of every pair of one setting, or of a bundle
of settings (rules: interpolate, interpolate_bundle_*)."""
from lmc.jobs import interpolate
from lmc.util import logs

logs.to_file(snakemake.log[0])
interpolate.interpolate_job(
    settings=snakemake.params.settings,
    weights=snakemake.params.weights,
    betons=snakemake.params.betons,
    alphas=snakemake.params.alphas,
    outputs=snakemake.params.outputs,
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
