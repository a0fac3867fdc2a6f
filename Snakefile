# Social Cure evaluation pipeline.
#   snakemake -n          show what would run
#   snakemake --cores 2   run everything on the study in config/config.yaml
# Rules are thin: each calls `python -m pipeline.cli <stage>`; one rule file per wing of
# pipeline/ (docs/design.md is the map).

import os

from snakemake.utils import min_version

min_version("9.0")


# The demo study's config, unless the command line names the study's own:
# `snakemake --configfile my_study.yaml` runs exactly that study (nothing merged from the demo).
if not workflow.overwrite_configfiles:
    workflow.configfile(os.path.join(workflow.basedir, "config", "config.yaml"))


include: "rules/common.smk"
include: "rules/ingest.smk"
include: "rules/clean.smk"
include: "rules/change.smk"
include: "rules/attrition.smk"
include: "rules/missing_data.smk"
include: "rules/mediation.smk"
include: "rules/crosslag.smk"
include: "rules/findings.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        rules.clean.output,
        rules.change.output,
        rules.attrition.output,
        rules.impute.output,
        rules.mediation.output,
        rules.crosslag.output,
        rules.findings.output,
        rules.report.output,
