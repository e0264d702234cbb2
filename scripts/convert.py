"""Write one FFCV .beton per split (rule: convert)."""
from lmc import data, logs

logs.to_file(snakemake.log[0])
for split in data.SPLITS:
    images, labels = data.load_split(snakemake.wildcards.dataset, snakemake.params.root, split)
    data.write_beton(images, labels, snakemake.output[split])
    logs.log.info("wrote %s: %d samples", snakemake.output[split], len(labels))
