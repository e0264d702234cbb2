"""Train networks A and B of every pair of one setting, or of a bundle of settings, as one
computation (rules: train_setting, train_bundle_*)."""
from lmc.jobs import train
from lmc.util import logs

logs.to_file(snakemake.log[0], history=snakemake.params.history)
train.train_job(
    settings=snakemake.params.settings,
    seeds=snakemake.params.seeds,
    betons=snakemake.params.betons,
    pairs=snakemake.params.pairs,
    outputs=dict(snakemake.output.items()),
    state_path=snakemake.params.state,
    data_path=snakemake.params.data_path,
    device=snakemake.params.device,
    threads=snakemake.threads,
    checkpoint_every=snakemake.params.checkpoint_every,
    code=snakemake.params.code,
    snapshot_epochs=snakemake.params.snapshot_epochs,
)
