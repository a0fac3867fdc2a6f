# The mediation wing (pipeline/mediation/): see docs/design.md.
from pipeline.mediation.settings import from_config as mediation_settings
from pipeline.mediation.settings import mi_block_params


def mi_parts(S):
    """The boot-MI parts the mediation rule of study S pools (none without the mi method)."""
    s = mediation_settings(S.cfg)
    if "mi" not in s.methods or not s.analyses:
        return []
    return expand(
        out(S, "mediation/parts/mi_block_{block}.parquet"), block=range(s.mi.blocks)
    )


for S in studies_running("mediation"):
    if mi_parts(S):

        rule:
            name:
                rule_name("mediation_mi_block", S)
            input:
                wide=clean_files(S)["wide"],
            output:
                part=out(S, "mediation/parts/mi_block_{block}.parquet"),
            log:
                out(S, "logs/mediation_mi_block_{block}.log"),
            wildcard_constraints:
                block="[0-9]+",
            group:
                cluster_group(STUDY_GROUP)
            threads: 1
            resources:
                **RESOURCES["mediation"],
            params:
                # only what the block jobs read: a change to warn_n reruns the pooling only
                cfg=mi_block_params(S.cfg),
                io=stage_io,
                effective=effective(S),
            shell:
                run_stage("mediation", S)

    rule:
        name:
            rule_name("mediation", S)
        input:
            wide=clean_files(S)["wide"],
            mi_parts=mi_parts(S),
        output:
            estimates=in_report(
                out(S, "tables/mediation_estimates.csv"), "mediation", "Mediation", S
            ),
            status=out(S, "tables/mediation_status.csv"),
            sentences=out(S, "tables/mediation_sentences.csv"),
            figures=expand(
                out(S, "figures/mediation_{name}_{kind}.{ext}"),
                name=mediation_settings(S.cfg).names,
                kind=["path", "forest"],
                ext=["png", "svg"],
            ),
        log:
            out(S, "logs/mediation.log"),
        # two processes only for the FIML bootstrap (results never depend on it)
        group:
            cluster_group(STUDY_GROUP)
        threads: 2 if mediation_settings(S.cfg).fiml_se == "bootstrap" else 1
        resources:
            **RESOURCES["mediation"],
        params:
            cfg=settings_params("mediation", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("mediation", S)
