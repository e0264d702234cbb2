"""The two-parameter toy example of a barrier forming (rule: render_toy_barrier)."""
from lmc.report import toy
from lmc.util import logs

logs.to_file(snakemake.log[0])
toy.render(
    seed=snakemake.params.toy["seed"],
    pairs=snakemake.params.toy["pairs"],
    spawn_steps=snakemake.params.toy["spawn_steps"],
    outputs=dict(snakemake.output.items()),
)
