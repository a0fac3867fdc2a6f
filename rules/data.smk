# Ingest each wave, then clean, link and score all waves.


def wave_file(wildcards):
    return CFG.path(CFG.wave(wildcards.wave).file)


rule ingest:
    input:
        wave_file,
    output:
        data="results/interim/raw_{wave}.parquet",
        log="results/interim/read_log_{wave}.csv",
        meta="results/interim/read_meta_{wave}.json",
    params:
        # only this wave's entry: adding another wave does not re-read this one
        cfg=lambda w: wave_entry(w.wave) + section("id_column", "scales", "covariates", "label_maps"),
    log:
        "results/logs/ingest_{wave}.log",
    shell:
        cli("ingest") + " --wave {wildcards.wave} --out-data {output.data}"
        " --out-log {output.log} --out-meta {output.meta} --log {log}"


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
        cfg=lambda w: section(
            "id_column", "waves", "scales", "covariates", "label_maps", "cleaning", "pseudonymisation"
        ),
    log:
        "results/logs/clean.log",
    shell:
        cli("clean") + " --interim results/interim --out-long {output.long}"
        " --out-wide {output.wide} --out-qc {output.qc} --out-quality {output.quality}"
        " --out-reliability {output.reliability} --log {log}"
