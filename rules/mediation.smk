# The mediation wing (pipeline/mediation/): see docs/design.md.
from pipeline.mediation.settings import from_config as mediation_settings

MEDIATION_ANALYSES = mediation_settings(CFG).names
# two processes only for the FIML bootstrap; otherwise one core stays free for the
# clean -> attrition -> impute -> change -> findings -> report chain
MEDIATION_THREADS = 2 if mediation_settings(CFG).fiml_se == "bootstrap" else 1


rule mediation:
    input:
        wide=CLEAN["wide"],
    output:
        estimates=in_report(
            "results/tables/mediation_estimates.csv", "mediation", "Mediation"
        ),
        status="results/tables/mediation_status.csv",
        sentences="results/tables/mediation_sentences.csv",
        figures=expand(
            "results/figures/mediation_{name}_{kind}.{ext}",
            name=MEDIATION_ANALYSES,
            kind=["path", "forest"],
            ext=["png", "svg"],
        ),
    log:
        "results/logs/mediation.log",
    threads: MEDIATION_THREADS
    params:
        cfg=lambda w: settings_params("mediation"),
        io=stage_io,
    shell:
        run_stage("mediation")
