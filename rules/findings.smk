# The findings wing (pipeline/findings/): one row per funder-facing claim, read from the
# declared tables of the change, attrition, impute, mediation and crosslag rules. An input is
# named only when its rule declares it (so a table a wing has not produced yet gives
# not-estimable rows naming it, instead of a missing-input error). Include after those rules.
FINDINGS_INPUTS = {
    name: path
    for name, path in {
        "change": declared_output("change", "change_primary.csv"),
        "baseline": declared_output("change", "descriptives_baseline.csv"),
        "flow": declared_output("attrition", "attrition_flow.csv"),
        "flow_public": declared_output("attrition", "attrition_flow_public.csv"),
        "md_primary": declared_output("impute", "missing_data_primary.csv"),
        "tipping": declared_output("impute", "sensitivity_tipping_point.csv"),
        "summary": declared_output("impute", "summary.json"),
        "mediation": declared_output("mediation", "mediation_estimates.csv"),
        "mediation_status": declared_output("mediation", "mediation_status.csv"),
        "crosslag": declared_output("crosslag", "crosslag_lagged_effects.csv"),
        "crosslag_status": declared_output("crosslag", "crosslag_status.csv"),
    }.items()
    if path is not None
}


rule findings:
    input:
        **FINDINGS_INPUTS,
    output:
        table=in_report("results/tables/findings.csv", "findings", "Findings"),
        public="results/tables/findings_public.csv",
    log:
        "results/logs/findings.log",
    priority: 20
    params:
        cfg=lambda w: settings_params("findings"),
        io=stage_io,
    shell:
        run_stage("findings")
