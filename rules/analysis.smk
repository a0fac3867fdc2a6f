# Analyses on the clean data: change over time, attrition and missing data, models.

CLEAN = dict(
    long="results/clean/long.parquet",
    wide="results/clean/wide.parquet",
    qc="results/clean/qc_log.csv",
)


rule change:
    input:
        long=CLEAN["long"],
        wide=CLEAN["wide"],
        reliability="results/tables/reliability.csv",
    output:
        tables=expand(
            "results/tables/change_{name}.csv",
            name=["means", "contrasts", "effect_sizes", "rci_shares", "status"],
        ),
        baseline="results/tables/descriptives_baseline.csv",
        public=[
            "results/tables/descriptives_baseline_public.csv",
            "results/tables/change_rci_shares_public.csv",
        ],
        correlations="results/tables/descriptives_correlations.csv",
        individual="results/change/rci_individual.csv",
        sentences="results/tables/change_sentences.csv",
        figures=expand("results/figures/change_{scale}.png", scale=list(CFG.scales)),
    params:
        cfg=lambda w: section("waves", "scales", "covariates", "change", "disclosure"),
    log:
        "results/logs/change.log",
    shell:
        cli("change") + " --long {input.long} --wide {input.wide} --reliability {input.reliability}"
        " --out-dir results/tables --individual {output.individual} --fig-dir results/figures"
        " --sentences {output.sentences} --log {log}"


rule attrition:
    input:
        **CLEAN,
    output:
        flow="results/tables/attrition_flow.csv",
        flow_public="results/tables/attrition_flow_public.csv",
        missingness="results/tables/attrition_missingness.csv",
        patterns="results/tables/attrition_patterns.csv",
        patterns_public="results/tables/attrition_patterns_public.csv",
        compare="results/tables/attrition_retained_vs_lost.csv",
        model="results/tables/attrition_retention_model.csv",
        status="results/tables/attrition_retention_status.csv",
        ipw="results/tables/attrition_ipw.csv",
        mcar="results/tables/attrition_mcar.csv",
        weights="results/clean/ipw_weights.parquet",
        summary="results/attrition/summary.json",
        figures=["results/figures/attrition_flow.png", "results/figures/missing_patterns.png"],
    params:
        cfg=lambda w: section("waves", "scales", "covariates", "attrition", "disclosure"),
    log:
        "results/logs/attrition.log",
    shell:
        cli("attrition") + " --wide {input.wide} --long {input.long} --qc {input.qc}"
        " --outdir results/tables --figdir results/figures --weights {output.weights}"
        " --summary {output.summary} --log {log}"


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
        cfg=lambda w: section("seed", "waves", "scales", "covariates", "missing_data"),
    log:
        "results/logs/impute.log",
    shell:
        cli("impute") + " --wide {input.wide} --out-imputations {output.imputations}"
        " --outdir results/tables --figdir results/figures --summary {output.summary}"
        " --weights {input.weights} --log {log}"


rule mediation:
    input:
        wide=CLEAN["wide"],
    output:
        estimates="results/tables/mediation_estimates.csv",
        status="results/tables/mediation_status.csv",
        sentences="results/tables/mediation_sentences.csv",
    params:
        cfg=lambda w: section("seed", "waves", "scales", "covariates", "mediation", "missing_data"),
    log:
        "results/logs/mediation.log",
    shell:
        cli("mediation") + " --wide {input.wide} --outdir results/tables --figdir results/figures"
        " --log {log}"


rule crosslag:
    input:
        wide=CLEAN["wide"],
    output:
        estimates="results/tables/crosslag_estimates.csv",
        fit="results/tables/crosslag_fit.csv",
        lagged="results/tables/crosslag_lagged_effects.csv",
        status="results/tables/crosslag_status.csv",
        comparison="results/tables/crosslag_comparison.csv",
        spacing="results/tables/crosslag_wave_spacing.csv",
    params:
        cfg=lambda w: section("waves", "scales", "covariates", "crosslag"),
    log:
        "results/logs/crosslag.log",
    shell:
        cli("crosslag") + " --wide {input.wide} --outdir results/tables --figdir results/figures"
        " --modeldir results/models --log {log}"
