# The missing_data wing (pipeline/missing_data/): see docs/design.md.


rule impute:
    input:
        wide=CLEAN["wide"],
        weights="results/clean/ipw_weights.parquet",
    output:
        imputations="results/imputed/imputations.parquet",
        log="results/tables/imputation_log.csv",
        settings="results/tables/imputation_settings.csv",
        primary="results/tables/missing_data_primary.csv",
        tipping="results/tables/sensitivity_tipping_point.csv",
        summary="results/imputed/summary.json",
        figures=[
            "results/figures/imputation_chains.png",
            "results/figures/imputation_observed_vs_imputed.png",
            "results/figures/sensitivity_tipping_point.png",
        ],
    params:
        cfg=lambda w: settings_params("impute"),
    log:
        "results/logs/impute.log",
    shell:
        cli("impute") + " --wide {input.wide} --out-imputations {output.imputations}"
        " --outdir results/tables --figdir results/figures --summary {output.summary}"
        " --weights {input.weights} --log {log}"
