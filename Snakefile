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


# Analyses that do not run for this study (switched off, or waiting for a wave: see
# pipeline/plan.py and the start-up message "Not run: ...") have no rule.
if "attrition" in RUNS:

    include: "rules/attrition.smk"


if "impute" in RUNS:

    include: "rules/missing_data.smk"


if "mediation" in RUNS:

    include: "rules/mediation.smk"


if "crosslag" in RUNS:

    include: "rules/crosslag.smk"


if "findings" in RUNS:

    include: "rules/findings.smk"


if "report" in RUNS:

    include: "rules/report.smk"


rule all:
    default_target: True
    input:
        [
            rule_outputs(name)
            for name in (
                "clean",
                "change",
                "attrition",
                "impute",
                "mediation",
                "crosslag",
                "findings",
                "report",
            )
        ],
