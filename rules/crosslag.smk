# The crosslag wing (pipeline/crosslag/): see docs/design.md.
# Every file the stage writes is declared: six tables, one lavaan syntax file per analysis x
# fitted model x constraint, one path diagram (.png + .svg) per analysis x fitted model (a
# placeholder saying why when the free model is not estimable).
from pipeline.crosslag.settings import from_config as crosslag_settings

for S in studies_running("crosslag"):
    _crosslag = crosslag_settings(S.cfg)

    rule:
        name:
            rule_name("crosslag", S)
        input:
            wide=clean_files(S)["wide"],
        output:
            estimates=out(S, "tables/crosslag_estimates.csv"),
            fit=out(S, "tables/crosslag_fit.csv"),
            lagged=in_report(
                out(S, "tables/crosslag_lagged_effects.csv"),
                "crosslag",
                "Cross-lagged",
                S,
            ),
            status=out(S, "tables/crosslag_status.csv"),
            comparison=out(S, "tables/crosslag_comparison.csv"),
            spacing=out(S, "tables/crosslag_wave_spacing.csv"),
            figures=expand(
                out(S, "figures/{stem}.{ext}"),
                stem=_crosslag.figure_stems,
                ext=["png", "svg"],
            ),
            models=expand(out(S, "models/{stem}.lav"), stem=_crosslag.syntax_stems),
        log:
            out(S, "logs/crosslag.log"),
        # two processes only for the FIML bootstrap (results never depend on it)
        group:
            cluster_group(STUDY_GROUP)
        threads: 2 if crosslag_settings(S.cfg).se == "bootstrap" else 1
        resources:
            **RESOURCES["crosslag"],
        params:
            cfg=settings_params("crosslag", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("crosslag", S)
