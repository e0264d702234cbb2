"""Train A and B of every pair from the trunks' state at every spawn point k > 0 of one
setting, in one process (rule: spawn_pairs)."""

from lmc.jobs import dynamics
from lmc.util import logs

logs.to_file(snakemake.log[0])
out = snakemake.output
points = snakemake.params.points
pairs = snakemake.params.pairs
dynamics.spawn_job(
    setting=snakemake.params.setting,
    train_beton=snakemake.params.betons["train"],
    test_beton=snakemake.params.betons["test"],
    trunks=dict(zip(points, snakemake.input.trunks)),
    pairs=pairs,
    outputs={
        point: {k: {m: out[f"{m}{k}_{i}"] for m in ("a", "b", "metrics", "seeds")} for k in pairs}
        for i, point in enumerate(points)
    },
    state_paths=dict(zip(points, snakemake.params.states)),
    data_path=snakemake.params.data_path,
    device=snakemake.params.device,
    threads=snakemake.threads,
    checkpoint_every=snakemake.params.checkpoint_every,
)
