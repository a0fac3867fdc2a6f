# The findings wing (pipeline/findings/): one row per funder-facing claim, read from the
# declared tables of the study's change, attrition, impute, mediation and crosslag rules. An
# input is named only when its rule declares it (so a table a wing has not produced yet gives
# not-estimable rows naming it, instead of a missing-input error). Include after those rules.
FINDINGS_SOURCES = {
    "change": ("change", "change_primary.csv"),
    "baseline": ("change", "descriptives_baseline.csv"),
    "flow": ("attrition", "attrition_flow.csv"),
    "flow_public": ("attrition", "attrition_flow_public.csv"),
    "md_primary": ("impute", "missing_data_primary.csv"),
    "tipping": ("impute", "sensitivity_tipping_point.csv"),
    "summary": ("impute", "summary.json"),
    "mediation": ("mediation", "mediation_estimates.csv"),
    "mediation_status": ("mediation", "mediation_status.csv"),
    "crosslag": ("crosslag", "crosslag_lagged_effects.csv"),
    "crosslag_status": ("crosslag", "crosslag_status.csv"),
    "healthcare_change": ("healthcare", "healthcare_change.csv"),
    "healthcare_mediation": ("healthcare", "healthcare_mediation.csv"),
    "healthcare_sentences": ("healthcare", "healthcare_sentences.csv"),
    "healthcare_comparison": ("healthcare", "healthcare_comparison.csv"),
    "comparison": ("comparison", "comparison_change.csv"),
    "comparison_sentences": ("comparison", "comparison_sentences.csv"),
    "comparison_mediation_test": ("comparison", "comparison_mediation_test.csv"),
    "comparison_crosslag_test": ("comparison", "comparison_crosslag_test.csv"),
    "moderation": ("moderation", "moderation_estimates.csv"),
    "moderation_slopes": ("moderation", "moderation_simple_slopes.csv"),
    "moderation_jn": ("moderation", "moderation_jn.csv"),
    "moderation_status": ("moderation", "moderation_status.csv"),
}


def findings_inputs(study):
    found = {
        name: declared_output(stage, study, filename)
        for name, (stage, filename) in FINDINGS_SOURCES.items()
    }
    return {name: path for name, path in found.items() if path is not None}


for S in studies_running("findings"):

    rule:
        name:
            rule_name("findings", S)
        input:
            **findings_inputs(S),
        output:
            table=in_report(out(S, "tables/findings.csv"), "findings", "Findings", S),
            public=out(S, "tables/findings_public.csv"),
        log:
            out(S, "logs/findings.log"),
        priority: 20  # the critical chain clean -> ... -> report starts first
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["findings"],
        params:
            cfg=settings_params("findings", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("findings", S)
