"""Fetch (torchvision, checksummed) or import (local folder) one dataset (rule: download)."""
from lmc.data import sources
from lmc.util import io, logs

logs.to_file(snakemake.log[0])
manifest = sources.prepare(snakemake.wildcards.dataset, snakemake.params.root,
                           snakemake.params.source or None)
io.write_json(manifest, snakemake.output.manifest)
