"""The paper's claims checked against the configured artefacts' barriers (rule: claims)."""
from lmc.paper import render
from lmc.util import logs

logs.to_file(snakemake.log[0])
render.render_claims(dict(zip(snakemake.params.sources, snakemake.input)), dict(snakemake.output.items()))
