# The ingest wing (pipeline/ingest/): read each wave's export as it is.
from pipeline.ingest.settings import wave_params


rule ingest:
    input:
        wave=lambda w: CFG.path(CFG.wave(w.wave).file),
    output:
        data="results/interim/raw_{wave}.parquet",
        log="results/interim/read_log_{wave}.csv",
        meta="results/interim/read_meta_{wave}.json",
    log:
        "results/logs/ingest_{wave}.log",
    params:
        # only this wave's entry: adding another wave does not re-read this one
        cfg=lambda w: wave_params(CFG, w.wave),
        io=stage_io,
    shell:
        run_stage("ingest")
