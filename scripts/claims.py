"""The paper's claims checked against the configured artefacts' barriers (rule: claims)."""
from lmc import logs, render

logs.to_file(snakemake.log[0])
render.render_claims(dict(zip(snakemake.params.sources, snakemake.input)), dict(snakemake.output.items()))
