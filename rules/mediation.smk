# The mediation wing (pipeline/mediation/): see docs/design.md.
from pipeline.mediation.settings import from_config as mediation_settings
from pipeline.mediation.settings import mi_block_params


def mi_parts(S):
    """The boot-MI parts the mediation rule of study S pools (none without the mi method, or
    with mediation.mi.method: rubin)."""
    s = mediation_settings(S.cfg)
    if not s.bootmi or not s.analyses:
        return []
    return expand(
        out(S, "mediation/parts/mi_block_{block}.parquet"), block=range(s.mi.blocks)
    )


def mediation_imputations(S):
    """The impute stage's imputations, read by the mi method under mediation.mi.method: rubin
    (none otherwise). ancient: rerun when the imputation model changes (in params, settings
    imputation_model), not when impute rewrites the same imputations."""
    s = mediation_settings(S.cfg)
    if not s.rubin or not s.analyses or "impute" not in S.runs:
        return []
    return [ancient(out(S, "imputed/imputations.parquet"))]


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
            # the second longest chain (blocks -> mediation -> findings): right after the
            # imputation chains and attrition, not after every other wing
            priority: 25
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
            imputations=mediation_imputations(S),
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
        priority: 20  # the critical chain clean -> ... -> report starts first
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
