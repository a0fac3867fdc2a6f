# The healthcare wing (pipeline/healthcare/): count outcomes (healthcare use); see
# docs/design.md. Every file the stage writes is declared: three tables and one figure of mean
# counts by wave (.png + .svg) per configured outcome; with a comparison group also the change
# by arm (tables/healthcare_comparison.csv).
from pipeline.healthcare.settings import from_config as healthcare_settings

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
