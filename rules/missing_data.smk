# The missing_data wing (pipeline/missing_data/): see docs/design.md.

IMPUTE_FIGURES = [
    "imputation_chains",
    "imputation_observed_vs_imputed",
    "sensitivity_tipping_point",
]


# the IPW row of missing_data_primary.csv needs the attrition rule's weights (when it runs)
IMPUTE_INPUTS = dict(wide=CLEAN["wide"])
if "attrition" in RUNS:
    IMPUTE_INPUTS["weights"] = "results/clean/ipw_weights.parquet"


rule impute:
    input:
        **IMPUTE_INPUTS,
    output:
        imputations="results/imputed/imputations.parquet",
        log="results/tables/imputation_log.csv",
        settings="results/tables/imputation_settings.csv",
        primary=in_report(
            "results/tables/missing_data_primary.csv", "missing_data", "Missing data"
        ),
        tipping="results/tables/sensitivity_tipping_point.csv",
        summary="results/imputed/summary.json",
        figures=expand(
            "results/figures/{name}.{ext}", name=IMPUTE_FIGURES, ext=["png", "svg"]
        ),
    log:
        "results/logs/impute.log",
    priority: 20
    params:
        cfg=lambda w: settings_params("impute"),
        io=stage_io,
    shell:
        run_stage("impute")
