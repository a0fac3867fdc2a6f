# The clean wing (pipeline/clean/): clean, link and score all waves of each study.

for S in studies_running("clean"):

    rule:
        name:
            rule_name("clean", S)
        input:
            # in the order of the study's 'waves' (the stage pairs them with the wave ids)
            data=expand(out(S, "interim/raw_{wave}.parquet"), wave=S.cfg.wave_ids),
            logs=expand(out(S, "interim/read_log_{wave}.csv"), wave=S.cfg.wave_ids),
            meta=expand(out(S, "interim/read_meta_{wave}.json"), wave=S.cfg.wave_ids),
            waves=[S.cfg.path(w.file) for w in S.cfg.waves],
        output:
            **clean_files(S),
            quality=in_report(
                out(S, "tables/data_quality.csv"), "data_quality", "Data quality", S
            ),
            reliability=in_report(
                out(S, "tables/reliability.csv"), "reliability", "Data quality", S
            ),
        log:
            out(S, "logs/clean.log"),
        priority: 20  # the critical chain clean -> ... -> report starts first
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["clean"],
        params:
            cfg=settings_params("clean", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("clean", S)
