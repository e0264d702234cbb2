"""Train the trunks of every pair of a setting, saving their state at each spawn point (rule: spawn_trunk)."""

from lmc.jobs import dynamics
from lmc.util import logs

logs.to_file(snakemake.log[0])
dynamics.trunk_job(
    setting=snakemake.params.setting,
    train_beton=snakemake.params.betons["train"],
    test_beton=snakemake.params.betons["test"],
    pairs=snakemake.params.pairs,
    unit=snakemake.params.unit,
    points=snakemake.params.points,
    outputs={
        "states": dict(zip(snakemake.params.points, snakemake.output.states)),
        "metrics": snakemake.output.metrics,
        "seeds": snakemake.output.seeds,
    },
    state_path=snakemake.params.state,
    data_path=snakemake.params.data_path,
    device=snakemake.params.device,
    threads=snakemake.threads,
    checkpoint_every=snakemake.params.checkpoint_every,
)
