# The moderation wing (pipeline/moderation/): see docs/design.md.
# Every file the stage writes is declared: five tables and, per analysis with a predictor, a
# simple-slopes and a Johnson-Neyman figure (.png + .svg; a placeholder saying why when the
# primary model is not estimable).
from pipeline.moderation.settings import from_config as moderation_settings

for S in studies_running("moderation"):

    rule:
        name:
            rule_name("moderation", S)
        input:
            wide=clean_files(S)["wide"],
        output:
            estimates=in_report(
                out(S, "tables/moderation_estimates.csv"),
                "moderation",
                "Moderation",
                S,
            ),
            simple_slopes=out(S, "tables/moderation_simple_slopes.csv"),
            jn=out(S, "tables/moderation_jn.csv"),
            status=out(S, "tables/moderation_status.csv"),
            sentences=out(S, "tables/moderation_sentences.csv"),
            figures=expand(
                out(S, "figures/{stem}.{ext}"),
                stem=moderation_settings(S.cfg).figure_stems,
                ext=["png", "svg"],
            ),
        log:
            out(S, "logs/moderation.log"),
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["moderation"],
        params:
            cfg=settings_params("moderation", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("moderation", S)
