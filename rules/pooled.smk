# The pooled wing (pipeline/pooled/): every study (scheme) of the run together, once per run,
# under results/pooled/. Its config is the `pooled:` section beside `studies:` in
# config/config.yaml, checked here at start-up (pipeline.studies.load_programme). It runs with
# two or more studies (else start-up says why) and reads each study's clean wide data, its
# change_primary.csv and its public attrition flow where those rules run for the study: adding
# a wave to one study reruns that study's jobs and this one only.
from pipeline.pooled.settings import from_programme as pooled_settings
from pipeline.pooled.settings import params_json as pooled_params
from pipeline.studies import (
    load_programme,
    programme_config_path,
    write_programme_config,
)

try:
    PROGRAMME, RUN_PLANS = load_programme(config, STUDIES.values())
except PipelineError as exc:
    sys.stderr.write(f"\nConfiguration problem: {exc}\n\n")
    raise SystemExit(2)

POOLED_OUTPUTS = []
if not RUN_PLANS["pooled"].runs:
    sys.stderr.write(f"Not run: pooled: {RUN_PLANS['pooled'].reason}\n")
else:
    _pooled = pooled_settings(PROGRAMME)
    write_programme_config(PROGRAMME, programme_config_path("pooled"))

    _POOLED_OUT = dict(
        schemes="results/pooled/tables/pooled_schemes.csv",
        schemes_public="results/pooled/tables/pooled_schemes_public.csv",
        change="results/pooled/tables/pooled_change.csv",
        change_schemes="results/pooled/tables/pooled_change_schemes.csv",
        change_schemes_public="results/pooled/tables/pooled_change_schemes_public.csv",
        status="results/pooled/tables/pooled_status.csv",
        sentences="results/pooled/tables/pooled_sentences.csv",
        figures=expand(
            "results/pooled/figures/pooled_change_{construct}.{ext}",
            construct=[c.key for c in _pooled.constructs],
            ext=["png", "svg"],
        ),
    )
    if _pooled.mediation:
        _POOLED_OUT.update(
            mediation="results/pooled/tables/pooled_mediation.csv",
            mediation_test="results/pooled/tables/pooled_mediation_test.csv",
        )

    rule pooled:
        input:
            wide=[out(S, "clean/wide.parquet") for S in STUDIES.values()],
            change=[
                p
                for S in STUDIES.values()
                for p in [declared_output("change", S, "change_primary.csv")]
                if p
            ],
            flow=[
                p
                for S in STUDIES.values()
                for p in [declared_output("attrition", S, "attrition_flow_public.csv")]
                if p
            ],
        output:
            **_POOLED_OUT,
        log:
            "results/pooled/logs/pooled.log",
        threads: 1
        resources:
            **RESOURCES["pooled"],
        params:
            cfg=pooled_params(PROGRAMME),
            io=stage_io,
        shell:
            f'"{PY}" -m pipeline.cli pooled --config {programme_config_path("pooled")} '
            f'--root "{workflow.basedir}" --io {{params.io:q}} --threads {{threads}} '
            "--log {log}"

    POOLED_OUTPUTS = list(rules.pooled.output)
