# The change wing (pipeline/change/): see docs/design.md.


rule change:
    input:
        long=CLEAN["long"],
        wide=CLEAN["wide"],
        reliability="results/tables/reliability.csv",
        # ancient: rerun when the imputation model changes (in params), not when the impute
        # stage rewrites the same imputations (e.g. for a new tipping-point grid)
        imputations=ancient("results/imputed/imputations.parquet"),
        weights="results/clean/ipw_weights.parquet",
    output:
        primary=in_report("results/tables/change_primary.csv", "change_table", "Change"),
        primary_means="results/tables/change_primary_means.csv",
        means="results/tables/change_means.csv",
        contrasts="results/tables/change_contrasts.csv",
        effect_sizes="results/tables/change_effect_sizes.csv",
        rci_shares="results/tables/change_rci_shares.csv",
        rci_public="results/tables/change_rci_shares_public.csv",
        status="results/tables/change_status.csv",
        baseline="results/tables/descriptives_baseline.csv",
        baseline_public="results/tables/descriptives_baseline_public.csv",
        correlations="results/tables/descriptives_correlations.csv",
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
    log:
        "results/logs/change.log",
    params:
        cfg=lambda w: settings_params("change"),
        io=stage_io,
    shell:
        run_stage("change")
