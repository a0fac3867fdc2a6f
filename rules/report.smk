# The report wing (pipeline/report/): the funder report as PDF/UA-1 (Typst) and HTML, built
# from the findings table and the other rules' declared outputs (see docs/design.md). It reruns
# when any input, the report settings or the configuration (its hash is in the params) changes.
# Include after every analysis rule file. Inputs are found by file name among the rules'
# declared outputs, so a table a wing does not produce gives a "not estimable because ..."
# paragraph in the report instead of a missing-input error.
REPORT_TABLE_FILES = {
    "clean": ["reliability.csv", "data_quality.csv"],
    "change": [
        "descriptives_baseline_public.csv",
        "change_means.csv",
        "change_primary_means.csv",
        "change_status.csv",
        "change_rci_shares_public.csv",
    ],
    "attrition": ["attrition_flow_public.csv", "attrition_mcar.csv"],
    "impute": ["missing_data_primary.csv", "sensitivity_tipping_point.csv"],
    "mediation": ["mediation_estimates.csv", "mediation_status.csv"],
    "crosslag": [
        "crosslag_lagged_effects.csv",
        "crosslag_status.csv",
        "crosslag_fit.csv",
        "crosslag_comparison.csv",
    ],
}
# figures the report shows (SVG twins; the PNGs are for other uses)
REPORT_FIGURE_PREFIXES = (
    "attrition_flow",
    "change_",
    "sensitivity_tipping_point",
    "mediation_",
    "crosslag_",
)


# every declared output of the rules the report reads, by rule ([] for a rule not in the
# workflow: its wing does not run, and the findings table says why)
REPORT_OUTPUTS = {
    wing_rule: rule_outputs(wing_rule)
    for wing_rule in ("clean", "change", "attrition", "impute", "mediation", "crosslag")
}
REPORT_TABLES = [
    p
    for wing_rule, names in REPORT_TABLE_FILES.items()
    for p in REPORT_OUTPUTS[wing_rule]
    if os.path.basename(p) in names
]
REPORT_FIGURES = [
    p
    for wing_rule in ("attrition", "change", "impute", "mediation", "crosslag")
    for p in REPORT_OUTPUTS[wing_rule]
    if p.endswith(".svg") and os.path.basename(p).startswith(REPORT_FIGURE_PREFIXES)
]


rule report:
    input:
        findings="results/tables/findings.csv",
        tables=REPORT_TABLES,
        attrition=[p for p in REPORT_OUTPUTS["attrition"] if p.endswith("summary.json")],
        impute=[p for p in REPORT_OUTPUTS["impute"] if p.endswith("summary.json")],
        long=CLEAN["long"],
        models=[p for p in REPORT_OUTPUTS["crosslag"] if p.endswith(".lav")],
        figures=REPORT_FIGURES,
    output:
        pdf=report(
            f"results/report/{CFG.study_id}_report.pdf",
            caption="../pipeline/report/templates/caption_pdf.rst",
            category="Funder report",
        ),
        html=f"results/report/{CFG.study_id}_report.html",
    log:
        "results/logs/report.log",
    priority: 20
    params:
        cfg=lambda w: settings_params("report"),
        io=stage_io,
    shell:
        run_stage("report")
