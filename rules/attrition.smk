# The attrition wing (pipeline/attrition/): see docs/design.md.


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
        cfg=lambda w: settings_params("attrition"),
    log:
        "results/logs/attrition.log",
    shell:
        cli("attrition") + " --wide {input.wide} --long {input.long} --qc {input.qc}"
        " --outdir results/tables --figdir results/figures --weights {output.weights}"
        " --summary {output.summary} --log {log}"
