"""ℓ, ℓ′, ℓ″ along the path at every snapshot epoch and spawn point of the dynamics
artefacts that list `derivatives`, one dataset per job (rules:
path_derivatives_over_training_<dataset>; lmc.analyses.geometry_over_training)."""
from lmc.jobs import analyses
from lmc.util import logs

logs.to_file(snakemake.log[0])
analyses.derivatives_job(
    settings=snakemake.params.groups,
    train_beton=snakemake.params.betons["train"],
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
    samples=snakemake.params.samples,
)
