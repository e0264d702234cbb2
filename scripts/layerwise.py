"""Layer-wise averaged networks of every pair of every setting of one artefact and dataset
(rules: layerwise_barriers_<artefact>_<dataset>)."""
from lmc.jobs import analyses
from lmc.util import logs

logs.to_file(snakemake.log[0])
files = [{"a": a, "b": b, "layerwise": o}
         for a, b, o in zip(snakemake.input.a, snakemake.input.b, snakemake.output, strict=True)]
analyses.layerwise_job(
    settings=analyses.per_setting(snakemake.params.settings, files, snakemake.params.pairs),
    betons={"train": snakemake.params.betons["train"], "test": snakemake.params.betons["test"]},
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
