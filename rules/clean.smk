# The clean wing (pipeline/clean/): clean, link and score all waves.


rule clean:
    input:
        data=expand("results/interim/raw_{wave}.parquet", wave=WAVES),
        logs=expand("results/interim/read_log_{wave}.csv", wave=WAVES),
        meta=expand("results/interim/read_meta_{wave}.json", wave=WAVES),
    output:
        long="results/clean/long.parquet",
        wide="results/clean/wide.parquet",
        qc="results/clean/qc_log.csv",
        quality="results/tables/data_quality.csv",
        reliability="results/tables/reliability.csv",
    params:
        cfg=lambda w: settings_params("clean"),
    log:
        "results/logs/clean.log",
    shell:
        cli("clean") + " --interim results/interim --out-long {output.long}"
        " --out-wide {output.wide} --out-qc {output.qc} --out-quality {output.quality}"
        " --out-reliability {output.reliability} --log {log}"
