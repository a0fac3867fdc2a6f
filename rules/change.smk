# The change wing (pipeline/change/): see docs/design.md.
# With the change analysis running, every table below; when it does not run for a study
# (switched off, or a single wave: pipeline/plan.py) the stage writes the baseline descriptives
# only, which need no follow-up wave, and the rule declares exactly those. The imputations and
# the IPW weights are inputs only when the study's impute and attrition rules are in the
# workflow. The shares per published band (UCLA-3 "lonely", ONS4 bands) and their public copy
# are declared only when the analysis runs and a scale's instrument preset publishes bands.
from pipeline.change.bands import scale_bands
from pipeline.change.settings import from_config as change_settings


def change_inputs(study, runs):
    inputs = dict(
        long=out(study, "clean/long.parquet"),
        wide=out(study, "clean/wide.parquet"),
        reliability=out(study, "tables/reliability.csv"),
    )
    if runs and "impute" in study.runs:
        # ancient: rerun when the imputation model changes (in params), not when the impute
        # stage rewrites the same imputations (e.g. for a new tipping-point grid)
        inputs["imputations"] = ancient(out(study, "imputed/imputations.parquet"))
    if runs and "attrition" in study.runs:
        inputs["weights"] = out(study, "clean/ipw_weights.parquet")
    return inputs


def change_outputs(study, runs):
    descriptives = dict(
        baseline=out(study, "tables/descriptives_baseline.csv"),
        baseline_public=out(study, "tables/descriptives_baseline_public.csv"),
        correlations=out(study, "tables/descriptives_correlations.csv"),
    )
    if not runs:
        return descriptives
    if scale_bands(study.cfg.scales)[0]:
        descriptives.update(
            bands=out(study, "tables/change_bands.csv"),
            bands_public=out(study, "tables/change_bands_public.csv"),
        )

    def t(name):
        return out(study, f"tables/{name}.csv")

    return dict(
        primary=in_report(t("change_primary"), "change_table", "Change", study),
        primary_means=t("change_primary_means"),
        means=t("change_means"),
        contrasts=t("change_contrasts"),
        effect_sizes=t("change_effect_sizes"),
        rci_shares=t("change_rci_shares"),
        rci_public=t("change_rci_shares_public"),
        status=t("change_status"),
        **descriptives,
        individual=out(study, "change/rci_individual.csv"),
        sentences=t("change_sentences"),
        figures=in_report(
            expand(
                out(study, "figures/change_{scale}.{ext}"),
                scale=change_settings(study.cfg).figure_constructs(study.cfg.scales),
                ext=["png", "svg"],
            ),
            "change_figure",
            "Change",
            study,
        ),
    )


# every study has a change rule (descriptives only when the analysis does not run)
for S in STUDIES.values():
    _runs = not change_settings(S.cfg).descriptives_only

    rule:
        name:
            rule_name("change", S)
        input:
            **change_inputs(S, _runs),
        output:
            **change_outputs(S, _runs),
        log:
            out(S, "logs/change.log"),
        priority: 20  # the critical chain clean -> ... -> report starts first
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["change"],
        params:
            cfg=settings_params("change", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("change", S)
