# The healthcare wing (pipeline/healthcare/): count outcomes (healthcare use); see
# docs/design.md. Every file the stage writes is declared: three tables and one figure of mean
# counts by wave (.png + .svg) per configured outcome; with a comparison group also the change
# by arm (tables/healthcare_comparison.csv). A mediation chain whose variables are in the
# imputation model is also fitted on the impute stage's imputed sets (input imputations).
from pipeline.healthcare.settings import from_config as healthcare_settings


def healthcare_imputations(S):
    """The impute stage's imputations, read when a count-outcome mediation chain is fitted on
    them (none otherwise). ancient: rerun when the imputation model changes (in params,
    settings imputation_model), not when impute rewrites the same imputations."""
    if not healthcare_settings(S.cfg).uses_imputations or "impute" not in S.runs:
        return []
    return [ancient(out(S, "imputed/imputations.parquet"))]


for S in studies_running("healthcare"):
    _healthcare = healthcare_settings(S.cfg)
    _by_arm = (
        {"comparison": out(S, "tables/healthcare_comparison.csv")}
        if _healthcare.arms is not None
        else {}
    )

    rule:
        name:
            rule_name("healthcare", S)
        input:
            wide=clean_files(S)["wide"],
            imputations=healthcare_imputations(S),
        output:
            **_by_arm,
            change=out(S, "tables/healthcare_change.csv"),
            mediation=out(S, "tables/healthcare_mediation.csv"),
            sentences=out(S, "tables/healthcare_sentences.csv"),
            figures=expand(
                out(S, "figures/{stem}.{ext}"),
                stem=_healthcare.figure_stems,
                ext=["png", "svg"],
            ),
        log:
            out(S, "logs/healthcare.log"),
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["healthcare"],
        params:
            cfg=settings_params("healthcare", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("healthcare", S)
