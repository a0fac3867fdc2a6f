# The attrition wing (pipeline/attrition/): see docs/design.md.


rule attrition:
    input:
        **CLEAN,
    output:
        flow="results/tables/attrition_flow.csv",
        flow_public=in_report(
            "results/tables/attrition_flow_public.csv", "attrition_flow", "Attrition"
        ),
        missingness="results/tables/attrition_missingness.csv",
        patterns="results/tables/attrition_patterns.csv",
        patterns_public="results/tables/attrition_patterns_public.csv",
        compare=in_report(
            "results/tables/attrition_retained_vs_lost.csv",
            "attrition_table",
            "Attrition",
        ),
        compare_public="results/tables/attrition_retained_vs_lost_public.csv",
        model="results/tables/attrition_retention_model.csv",
        status="results/tables/attrition_retention_status.csv",
        ipw="results/tables/attrition_ipw.csv",
        ipw_balance=expand(
            "results/tables/attrition_ipw_balance_{wave}.csv", wave=WAVES[1:]
        ),
        mcar="results/tables/attrition_mcar.csv",
        weights="results/clean/ipw_weights.parquet",
        summary="results/attrition/summary.json",
        figures=expand(
            "results/figures/{name}.{ext}",
            name=["attrition_flow", "missing_patterns"],
            ext=["png", "svg"],
        ),
    log:
        "results/logs/attrition.log",
    priority: 20
    params:
        cfg=lambda w: settings_params("attrition"),
        io=stage_io,
    shell:
        run_stage("attrition")
