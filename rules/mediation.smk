# The mediation wing (pipeline/mediation/): see docs/design.md.
from pipeline.mediation.settings import from_config as mediation_settings

for S in studies_running("mediation"):

    rule:
        name:
            rule_name("mediation", S)
        input:
            wide=clean_files(S)["wide"],
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
        threads: 2 if mediation_settings(S.cfg).fiml_se == "bootstrap" else 1
        resources:
            **RESOURCES["mediation"],
        params:
            cfg=settings_params("mediation", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("mediation", S)
