# The crosslag wing (pipeline/crosslag/): see docs/design.md.
# Every file the stage writes is declared: six tables, one lavaan syntax file per analysis x
# fitted model x constraint, one path diagram (.png + .svg) per analysis x fitted model (a
# placeholder saying why when the free model is not estimable).
from pipeline.crosslag.settings import from_config as crosslag_settings

CROSSLAG = crosslag_settings(CFG)
CROSSLAG_THREADS = 2 if CROSSLAG.se == "bootstrap" else 1  # the FIML bootstrap only


rule crosslag:
    input:
        wide=CLEAN["wide"],
    output:
        estimates="results/tables/crosslag_estimates.csv",
        fit="results/tables/crosslag_fit.csv",
        lagged=in_report(
            "results/tables/crosslag_lagged_effects.csv", "crosslag", "Cross-lagged"
        ),
        status="results/tables/crosslag_status.csv",
        comparison="results/tables/crosslag_comparison.csv",
        spacing="results/tables/crosslag_wave_spacing.csv",
        figures=expand(
            "results/figures/{stem}.{ext}",
            stem=CROSSLAG.figure_stems,
            ext=["png", "svg"],
        ),
        models=expand("results/models/{stem}.lav", stem=CROSSLAG.syntax_stems),
    log:
        "results/logs/crosslag.log",
    threads: CROSSLAG_THREADS
    params:
        cfg=lambda w: settings_params("crosslag"),
        io=stage_io,
    shell:
        run_stage("crosslag")
