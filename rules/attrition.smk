# The attrition wing (pipeline/attrition/): see docs/design.md.

for S in studies_running("attrition"):

    rule:
        name:
            rule_name("attrition", S)
        input:
            **clean_files(S),
        output:
            flow=out(S, "tables/attrition_flow.csv"),
            flow_public=in_report(
                out(S, "tables/attrition_flow_public.csv"),
                "attrition_flow",
                "Attrition",
                S,
            ),
            missingness=out(S, "tables/attrition_missingness.csv"),
            patterns=out(S, "tables/attrition_patterns.csv"),
            patterns_public=out(S, "tables/attrition_patterns_public.csv"),
            compare=in_report(
                out(S, "tables/attrition_retained_vs_lost.csv"),
                "attrition_table",
                "Attrition",
                S,
            ),
            compare_public=out(S, "tables/attrition_retained_vs_lost_public.csv"),
            model=out(S, "tables/attrition_retention_model.csv"),
            status=out(S, "tables/attrition_retention_status.csv"),
            ipw=out(S, "tables/attrition_ipw.csv"),
            ipw_balance=expand(
                out(S, "tables/attrition_ipw_balance_{wave}.csv"),
                wave=S.cfg.wave_ids[1:],
            ),
            mcar=out(S, "tables/attrition_mcar.csv"),
            weights=out(S, "clean/ipw_weights.parquet"),
            summary=out(S, "attrition/summary.json"),
            figures=expand(
                out(S, "figures/{name}.{ext}"),
                name=["attrition_flow", "missing_patterns"],
                ext=["png", "svg"],
            ),
        log:
            out(S, "logs/attrition.log"),
        priority: 30  # short, and impute waits for its IPW weights: before the boot-MI blocks
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["attrition"],
        params:
            cfg=settings_params("attrition", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("attrition", S)
