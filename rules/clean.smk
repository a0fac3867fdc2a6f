# The clean wing (pipeline/clean/): clean, link and score all waves.


rule clean:
    input:
        # in the order of config 'waves' (the stage pairs them with the wave ids)
        data=expand("results/interim/raw_{wave}.parquet", wave=WAVES),
        logs=expand("results/interim/read_log_{wave}.csv", wave=WAVES),
        meta=expand("results/interim/read_meta_{wave}.json", wave=WAVES),
        waves=[CFG.path(w.file) for w in CFG.waves],
    output:
        long="results/clean/long.parquet",
        wide="results/clean/wide.parquet",
        qc="results/clean/qc_log.csv",
        quality=in_report(
            "results/tables/data_quality.csv", "data_quality", "Data quality"
        ),
        reliability=in_report(
            "results/tables/reliability.csv", "reliability", "Data quality"
        ),
    log:
        "results/logs/clean.log",
    priority: 20
    params:
        cfg=lambda w: settings_params("clean"),
        io=stage_io,
    shell:
        run_stage("clean")
