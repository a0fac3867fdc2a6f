# The ingest wing (pipeline/ingest/): read each wave's export as it is.


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
        io=stage_io,
    log:
        "results/logs/ingest_{wave}.log",
    shell:
        run_stage("ingest")
