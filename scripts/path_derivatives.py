"""ℓ, ℓ′, ℓ″ along the path of every pair of an artefact's settings, and along each layer's
(rules: path_derivatives_<artefact>_<dataset>)."""
from lmc.jobs import analyses
from lmc.util import logs

logs.to_file(snakemake.log[0])
files = [{"init": i, "a": a, "b": b, "derivatives": o}
         for i, a, b, o in zip(snakemake.input.init, snakemake.input.a, snakemake.input.b, snakemake.output,
                               strict=True)]
analyses.derivatives_job(
    settings=analyses.per_setting(snakemake.params.settings, files, snakemake.params.pairs),
    train_beton=snakemake.params.betons["train"],
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
    samples=snakemake.params.samples,
)
