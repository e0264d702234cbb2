"""Train A and B of every pair from the trunks' state at one spawn point (rule: spawn_pairs)."""

from lmc import dynamics_job, logs

logs.to_file(snakemake.log[0])
out = snakemake.output
dynamics_job.spawn_job(
    setting=snakemake.params.setting,
    train_beton=snakemake.params.betons["train"],
    test_beton=snakemake.params.betons["test"],
    trunk=snakemake.input.trunk,
    point=snakemake.wildcards.point,
    pairs=snakemake.params.pairs,
    outputs={
        k: {"a": out[f"a{k}"], "b": out[f"b{k}"], "metrics": out[f"metrics{k}"], "seeds": out[f"seeds{k}"]}
        for k in snakemake.params.pairs
    },
    state_path=snakemake.params.state,
    data_path=snakemake.params.data_path,
    device=snakemake.params.device,
    threads=snakemake.threads,
    checkpoint_every=snakemake.params.checkpoint_every,
)
