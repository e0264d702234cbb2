# lmc-pipeline: linear mode connectivity, arXiv:2312.09832, end to end.
#   snakemake --cores 2 all                         # every artefact in the config
#   snakemake --cores 2 table2                      # one artefact
#   snakemake --cores 2 --configfile=config/quick.yaml all   # offline, small (note the `=`:
#                                   # --configfile takes several files and would read `all` as one)
import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from lmc.config import checks as lmc_config

min_version("9.0")


configfile: "config.yaml"


try:
    validate(config, lmc_config.SCHEMA)
except WorkflowError:
    sys.exit(lmc_config.describe_schema_error(config))
config["offline_sources"] = lmc_config.offline_sources(config, os.environ)
for problem in lmc_config.check_offline_sources(config) + lmc_config.check_alphas(config):
    sys.exit(problem)


# Include order matters: common.smk defines the grid, every path and the shared helpers;
# each *_common.smk holds its stage's helpers and comes before the rules that use them;
# the rule files then follow the pipeline (data, train, evaluate, dynamics, analyses, report).
include: "rules/common.smk"
include: "rules/analyses_common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/dynamics_common.smk"
include: "rules/dynamics.smk"
include: "rules/analyses.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        artefact_outputs(ARTEFACTS),
        list(barrier_prediction_outputs().values()),
        list(geometry_outputs().values()),
        list(toy_outputs().values()),
        rules.run_index.output,
        rules.provenance_table.output,
