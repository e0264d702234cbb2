"""Re-check the raw files against the download rule's manifest, then write one FFCV
.beton and its record per split (rule: convert)."""
from lmc.jobs import convert
from lmc.util import logs

logs.to_file(snakemake.log[0])
convert.convert(snakemake.wildcards.dataset, snakemake.params.root, snakemake.input.manifest,
                dict(snakemake.output.items()))
