"""One module per kind of Snakemake job, called by the thin scripts in `scripts/`: the
shared set-up (`setup`), a trained pair's files (`pairs`), conversion (`convert`),
training (`train`), interpolation (`interpolate`), the training-dynamics jobs (`dynamics`)
and the analyses' jobs (`analyses`). The top layer: may import everything, and nothing
imports it."""
