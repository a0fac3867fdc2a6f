# The mediation wing (pipeline/mediation/): see docs/design.md.


rule mediation:
    input:
        wide=CLEAN["wide"],
    output:
        estimates="results/tables/mediation_estimates.csv",
        status="results/tables/mediation_status.csv",
        sentences="results/tables/mediation_sentences.csv",
    params:
        cfg=lambda w: settings_params("mediation"),
    log:
        "results/logs/mediation.log",
    shell:
        cli("mediation") + " --wide {input.wide} --outdir results/tables --figdir results/figures"
        " --log {log}"
