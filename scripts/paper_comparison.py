"""Every number the paper prints beside this project's result (rule: render_paper_comparison)."""
from lmc.paper import render
from lmc.util import logs

logs.to_file(snakemake.log[0])
render.render_paper_comparison(snakemake.input.values,
                               {name: snakemake.input[name] for name in snakemake.params.sources},
                               dict(snakemake.output.items()))
