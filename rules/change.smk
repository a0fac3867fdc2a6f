# The change wing (pipeline/change/): see docs/design.md.
# With the change analysis running, every table below; when it does not run (switched off, or a
# single wave: pipeline/plan.py) the stage writes the baseline descriptives only, which need no
# follow-up wave, and the rule declares exactly those. The imputations and the IPW weights are
# inputs only when the impute and attrition rules are in the workflow.
from pipeline.change.settings import from_config as change_settings

CHANGE_RUNS = not change_settings(CFG).descriptives_only
CHANGE_DESCRIPTIVES = dict(
    baseline="results/tables/descriptives_baseline.csv",
    baseline_public="results/tables/descriptives_baseline_public.csv",
    correlations="results/tables/descriptives_correlations.csv",
)
CHANGE_INPUTS = dict(
    long=CLEAN["long"],
    wide=CLEAN["wide"],
    reliability="results/tables/reliability.csv",
)
if CHANGE_RUNS and "impute" in RUNS:
    # ancient: rerun when the imputation model changes (in params), not when the impute
    # stage rewrites the same imputations (e.g. for a new tipping-point grid)
    CHANGE_INPUTS["imputations"] = ancient("results/imputed/imputations.parquet")
if CHANGE_RUNS and "attrition" in RUNS:
    CHANGE_INPUTS["weights"] = "results/clean/ipw_weights.parquet"
CHANGE_OUTPUTS = (
    dict(
        primary=in_report(
            "results/tables/change_primary.csv", "change_table", "Change"
        ),
        primary_means="results/tables/change_primary_means.csv",
        means="results/tables/change_means.csv",
        contrasts="results/tables/change_contrasts.csv",
        effect_sizes="results/tables/change_effect_sizes.csv",
        rci_shares="results/tables/change_rci_shares.csv",
        rci_public="results/tables/change_rci_shares_public.csv",
        status="results/tables/change_status.csv",
        **CHANGE_DESCRIPTIVES,
        individual="results/change/rci_individual.csv",
        sentences="results/tables/change_sentences.csv",
        figures=in_report(
            expand(
                "results/figures/change_{scale}.{ext}",
                scale=list(CFG.scales),
                ext=["png", "svg"],
            ),
            "change_figure",
            "Change",
        ),
    )
    if CHANGE_RUNS
    else CHANGE_DESCRIPTIVES
)


rule change:
    input:
        **CHANGE_INPUTS,
    output:
        **CHANGE_OUTPUTS,
    log:
        "results/logs/change.log",
    priority: 20
    params:
        cfg=lambda w: settings_params("change"),
        io=stage_io,
    shell:
        run_stage("change")
