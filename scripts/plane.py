"""The plane through init, A and B of every pair of one setting (rule: plane_grid)."""
from lmc.jobs import analyses
from lmc.util import logs

logs.to_file(snakemake.log[0])
analyses.plane_job(
    setting=snakemake.params.setting,
    pairs=[
        {"init": i, "a": a, "b": b, "plane": p, "anchors": j}
        for i, a, b, p, j in zip(snakemake.input.init, snakemake.input.a, snakemake.input.b,
                                 snakemake.output.plane, snakemake.output.anchors)
    ],
    betons={"train": snakemake.params.betons["train"], "test": snakemake.params.betons["test"]},
    shape=snakemake.params.grid,
    margin=snakemake.params.margin,
    device=snakemake.params.device,
    threads=snakemake.threads,
    batch_size=snakemake.params.batch_size,
)
