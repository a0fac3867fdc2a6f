# The ingest wing (pipeline/ingest/): read each wave's export as it is, per study.
from pipeline.ingest.settings import wave_params


def wave_file(study):
    """Input function: the export of wave {wave} of ``study``."""
    return lambda w: study.cfg.path(study.cfg.wave(w.wave).file)


def wave_settings(study):
    """Params function: only this wave's entry and the keys ingest reads, so adding another
    wave does not re-read this one."""
    return lambda w: wave_params(study.cfg, w.wave)


for S in studies_running("ingest"):

    rule:
        name:
            rule_name("ingest", S)
        input:
            wave=wave_file(S),
        output:
            data=out(S, "interim/raw_{wave}.parquet"),
            log=out(S, "interim/read_log_{wave}.csv"),
            meta=out(S, "interim/read_meta_{wave}.json"),
        log:
            out(S, "logs/ingest_{wave}.log"),
        wildcard_constraints:
            wave=wave_constraint(S),
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["ingest"],
        params:
            cfg=wave_settings(S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("ingest", S)
