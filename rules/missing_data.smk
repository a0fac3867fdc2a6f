# The missing_data wing (pipeline/missing_data/): see docs/design.md.
from pipeline.missing_data.chains import block_params as chain_block_params
from pipeline.missing_data.chains import chain_blocks

IMPUTE_FIGURES = [
    "imputation_chains",
    "imputation_observed_vs_imputed",
    "sensitivity_tipping_point",
]


def chain_parts(S):
    """The parts of the MICE chains the impute rule of study S gathers (one per
    impute_chains job: missing_data.chain_blocks)."""
    return expand(
        out(S, "imputed/parts/chains_{block}.parquet"), block=range(chain_blocks(S.cfg))
    )


def impute_inputs(study):
    """The wide data, the parts of the MICE chains, and the IPW weights for the IPW row of
    missing_data_primary.csv when the study's attrition rule runs."""
    inputs = dict(wide=clean_files(study)["wide"], chains=chain_parts(study))
    if "attrition" in study.runs:
        inputs["weights"] = out(study, "clean/ipw_weights.parquet")
    return inputs


for S in studies_running("impute"):

    # the MICE chains in parts, each its own job (pipeline/missing_data/chains.py)
    rule:
        name:
            rule_name("impute_chains", S)
        input:
            wide=clean_files(S)["wide"],
        output:
            part=out(S, "imputed/parts/chains_{block}.parquet"),
        log:
            out(S, "logs/impute_chains_{block}.log"),
        wildcard_constraints:
            block="[0-9]+",
        # the longest chain after clean (chains -> impute -> change -> findings) starts first
        priority: 40
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["impute_chains"],
        params:
            # only what the chain jobs read: a change to the tipping point reruns impute only
            cfg=chain_block_params(S.cfg),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("impute", S)

    rule:
        name:
            rule_name("impute", S)
        input:
            **impute_inputs(S),
        output:
            imputations=out(S, "imputed/imputations.parquet"),
            log=out(S, "tables/imputation_log.csv"),
            settings=out(S, "tables/imputation_settings.csv"),
            primary=in_report(
                out(S, "tables/missing_data_primary.csv"),
                "missing_data",
                "Missing data",
                S,
            ),
            tipping=out(S, "tables/sensitivity_tipping_point.csv"),
            summary=out(S, "imputed/summary.json"),
            figures=expand(
                out(S, "figures/{name}.{ext}"), name=IMPUTE_FIGURES, ext=["png", "svg"]
            ),
        log:
            out(S, "logs/impute.log"),
        priority: 20  # the critical chain clean -> ... -> report starts first
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["impute"],
        params:
            cfg=settings_params("impute", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("impute", S)
