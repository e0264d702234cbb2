"""lmc-pipeline: linear mode connectivity experiments of arXiv:2312.09832.

The subpackages follow the pipeline, and imports only point down it (tests/test_layout.py
checks), from the bottom:

- `util`: files, logs, devices, provenance, code digests;
- `data`: the dataset registry, downloads and offline imports, FFCV files;
- `nn`: architectures, initialisation, batched networks;
- `train`: the paired training loop, seeds, spawn-at-k, snapshots;
- `evaluate`: the linear path and its barriers;
- `analyses`: the analyses beyond the paper, as computations;
- `config`: from a config file to settings, run ids, costs and resources (parse time);
- `aggregate`: per-pair results to one table per artefact;
- `report`: tables and figures;
- `paper`: the paper's printed numbers and claims against ours;
- `jobs`: one module per kind of Snakemake job (the top).
"""
__version__ = "0.1.0"
