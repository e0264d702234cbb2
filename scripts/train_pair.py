"""Train networks A and B of one pair (rule: train_pair)."""
from lmc import logs, train_job

logs.to_file(snakemake.log[0], history=snakemake.params.history)
train_job.train_pair_job(
    setting_json=snakemake.input.setting,
    train_beton=snakemake.input.train,
    test_beton=snakemake.input.test,
    seeds=snakemake.params.seeds,
    outputs=dict(snakemake.output.items()),
    state_path=snakemake.params.state,
    data_path=snakemake.params.data_path,
    device=snakemake.params.device,
    threads=snakemake.threads,
    checkpoint_every=snakemake.params.checkpoint_every,
    code=snakemake.params.code,
    snapshot_epochs=snakemake.params.get("snapshot_epochs", []),   # rule train_pair_snapshots
)
