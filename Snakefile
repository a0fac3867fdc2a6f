# Social Cure evaluation pipeline.
#   snakemake -n          show what would run
#   snakemake --cores 2   run everything on the study in config/config.yaml
# Rules are thin: each calls `python -m pipeline.cli <stage>`, whose code lives in pipeline/.

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config", "config.yaml")


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/analysis.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,
