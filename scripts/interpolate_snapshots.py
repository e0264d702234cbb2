"""Evaluate the linear path of every snapshot pair (A_t, B_t) of a setting (rule: interpolate_snapshots)."""

from lmc.jobs import dynamics
from lmc.util import io, logs

logs.to_file(snakemake.log[0])
pairs, epochs = snakemake.params.pairs, snakemake.params.epochs
tables = dynamics.paths_job(
    setting=snakemake.params.setting,
    betons={"train": snakemake.params.betons["train"], "test": snakemake.params.betons["test"]},
    ends=[(snakemake.input[f"a{k}_e{t}"], snakemake.input[f"b{k}_e{t}"]) for k in pairs for t in epochs],
    alphas=snakemake.params.alphas,
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
for i, k in enumerate(pairs):
    io.write_csv(
        dynamics.by_epoch(tables[i * len(epochs) : (i + 1) * len(epochs)], epochs),
        snakemake.output[f"interpolation{k}"],
    )
