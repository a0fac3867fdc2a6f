# The comparison wing (pipeline/comparison/): change in a programme arm against a reference
# arm. Defined for the studies with a comparison group (comparison.group, two arms, two waves
# or more: pipeline/plan.py). The imputations are an input only when the study's impute rule
# is in the workflow (MI rows); every file the stage writes is declared.
from pipeline.comparison.settings import from_config as comparison_settings


def comparison_inputs(study):
    inputs = dict(wide=clean_files(study)["wide"])
    if "impute" in study.runs:
        # ancient: rerun when the imputation model changes (in params), not on a rewrite
        inputs["imputations"] = ancient(out(study, "imputed/imputations.parquet"))
    return inputs


def comparison_mechanism_outputs(study, settings):
    """The by-arm chains' and cross-lagged models' tables (and the chains' figures), declared
    only when comparison.mediation / comparison.crosslag select any."""
    outputs = {}
    if settings.chains:
        outputs["mediation"] = out(study, "tables/comparison_mediation.csv")
        outputs["mediation_test"] = out(study, "tables/comparison_mediation_test.csv")
        outputs["indirect_figures"] = expand(
            out(study, "figures/comparison_indirect_{chain}.{ext}"),
            chain=[c.name for c in settings.chains],
            ext=["png", "svg"],
        )
    if settings.panels:
        outputs["crosslag"] = out(study, "tables/comparison_crosslag.csv")
        outputs["crosslag_test"] = out(study, "tables/comparison_crosslag_test.csv")
    return outputs


for S in studies_running("comparison"):
    _comparison = comparison_settings(S.cfg)

    rule:
        name:
            rule_name("comparison", S)
        input:
            **comparison_inputs(S),
        output:
            **comparison_mechanism_outputs(S, _comparison),
            flow=out(S, "tables/comparison_flow.csv"),
            flow_public=out(S, "tables/comparison_flow_public.csv"),
            balance=out(S, "tables/comparison_balance.csv"),
            balance_public=out(S, "tables/comparison_balance_public.csv"),
            change=out(S, "tables/comparison_change.csv"),
            means=out(S, "tables/comparison_means.csv"),
            sentences=out(S, "tables/comparison_sentences.csv"),
            figures=expand(
                out(S, "figures/comparison_{outcome}.{ext}"),
                outcome=list(_comparison.outcomes),
                ext=["png", "svg"],
            ),
        log:
            out(S, "logs/comparison.log"),
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["comparison"],
        params:
            cfg=settings_params("comparison", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("comparison", S)
