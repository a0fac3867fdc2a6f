# Social Cure evaluation pipeline.
#   snakemake -n          show what would run
#   snakemake --cores 2   run every study listed in config/config.yaml (results/<study>/)
#   snakemake --cores 2 --configfile my_study.yaml   run one study file on its own
# Rules are thin: each calls `python -m pipeline.cli <stage>`; one rule file per wing of
# pipeline/, defining the wing's rule once per study ("<stage>_<study>", e.g. change_demo);
# docs/design.md is the map.

import os

from snakemake.utils import min_version

min_version("9.0")


# The studies listed in config/config.yaml (each in config/studies/<name>.yaml), unless the
# command line names a config of its own: `snakemake --configfile my_study.yaml` runs exactly
# that config (one study file, or a list of studies; nothing merged from config/config.yaml).
if not workflow.overwrite_configfiles:
    workflow.configfile(os.path.join(workflow.basedir, "config", "config.yaml"))


include: "rules/common.smk"
include: "rules/ingest.smk"
include: "rules/clean.smk"
include: "rules/change.smk"


# Analyses that do not run for any study (switched off, or waiting for a wave: see
# pipeline/plan.py and the start-up message "Not run: ...") have no rule; a rule file defines
# its wing's rule only for the studies it runs for.
if "attrition" in RUNS_ANY:

    include: "rules/attrition.smk"


if "impute" in RUNS_ANY:

    include: "rules/missing_data.smk"


if "mediation" in RUNS_ANY:

    include: "rules/mediation.smk"


if "crosslag" in RUNS_ANY:

    include: "rules/crosslag.smk"


if "healthcare" in RUNS_ANY:

    include: "rules/healthcare.smk"


if "comparison" in RUNS_ANY:

    include: "rules/comparison.smk"


if "moderation" in RUNS_ANY:

    include: "rules/moderation.smk"


if "findings" in RUNS_ANY:

    include: "rules/findings.smk"


if "report" in RUNS_ANY:

    include: "rules/report.smk"


# across the studies of the run (results/pooled/); the file says at start-up why it does not run
include: "rules/pooled.smk"


rule all:
    default_target: True
    input:
        [
            rule_outputs(stage, study)
            for study in STUDIES.values()
            for stage in (
                "clean",
                "change",
                "attrition",
                "impute",
                "mediation",
                "crosslag",
                "healthcare",
                "comparison",
                "moderation",
                "findings",
                "report",
            )
        ],
        # the boot-MI parts: a deleted part is rebuilt (its block rule has a wildcard)
        [mi_parts(S) for S in studies_running("mediation")]
        if "mediation" in RUNS_ANY
        else [],
        # the parts of the MICE chains, likewise
        [chain_parts(S) for S in studies_running("impute")]
        if "impute" in RUNS_ANY
        else [],
        POOLED_OUTPUTS,
