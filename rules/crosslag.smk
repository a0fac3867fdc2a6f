# The crosslag wing (pipeline/crosslag/): see docs/design.md.


rule crosslag:
    input:
        wide=CLEAN["wide"],
    output:
        estimates="results/tables/crosslag_estimates.csv",
        fit="results/tables/crosslag_fit.csv",
        lagged="results/tables/crosslag_lagged_effects.csv",
        status="results/tables/crosslag_status.csv",
        comparison="results/tables/crosslag_comparison.csv",
        spacing="results/tables/crosslag_wave_spacing.csv",
    params:
        cfg=lambda w: settings_params("crosslag"),
    log:
        "results/logs/crosslag.log",
    shell:
        cli("crosslag") + " --wide {input.wide} --outdir results/tables --figdir results/figures"
        " --modeldir results/models --log {log}"
