# The missing_data wing (pipeline/missing_data/): see docs/design.md.

IMPUTE_FIGURES = [
    "imputation_chains",
    "imputation_observed_vs_imputed",
    "sensitivity_tipping_point",
]


def impute_inputs(study):
    """The wide data, and the IPW weights for the IPW row of missing_data_primary.csv when the
    study's attrition rule runs."""
    inputs = dict(wide=clean_files(study)["wide"])
    if "attrition" in study.runs:
        inputs["weights"] = out(study, "clean/ipw_weights.parquet")
    return inputs


for S in studies_running("impute"):

    rule:
        name:
            rule_name("impute", S)
        input:
            **impute_inputs(S),
        output:
            imputations=out(S, "imputed/imputations.parquet"),
            log=out(S, "tables/imputation_log.csv"),
            settings=out(S, "tables/imputation_settings.csv"),
            primary=in_report(
                out(S, "tables/missing_data_primary.csv"),
                "missing_data",
                "Missing data",
                S,
            ),
            tipping=out(S, "tables/sensitivity_tipping_point.csv"),
            summary=out(S, "imputed/summary.json"),
            figures=expand(
                out(S, "figures/{name}.{ext}"), name=IMPUTE_FIGURES, ext=["png", "svg"]
            ),
        log:
            out(S, "logs/impute.log"),
        priority: 20  # the critical chain clean -> ... -> report starts first
        threads: 1
        resources:
            **RESOURCES["impute"],
        params:
            cfg=settings_params("impute", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("impute", S)
