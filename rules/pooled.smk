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

    if _pooled.crosslag:
        _POOLED_OUT.update(
            crosslag="results/pooled/tables/pooled_crosslag.csv",
            crosslag_test="results/pooled/tables/pooled_crosslag_test.csv",
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
        group:
            cluster_group(POOLED_GROUP)
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


# The pooled report (a run-level stage of the report wing, pipeline/report/pooled_*.py): built
# from the pooled tables and figures only (already protected), when the pooled analysis runs
# and pooled.report.enabled.
_PLAN = RUN_PLANS.get("pooled_report")
if _PLAN is not None and not _PLAN.runs and RUN_PLANS["pooled"].runs:
    sys.stderr.write(f"Not run: pooled report: {_PLAN.reason}\n")

if _PLAN is not None and _PLAN.runs:
    from pipeline.report.pooled_settings import params_json as pooled_report_params

    write_programme_config(PROGRAMME, programme_config_path("pooled_report"))

    rule pooled_report:
        input:
            # the public tables only: the analyst copies (exact small counts) stay out
            tables=[
                p
                for k, p in _POOLED_OUT.items()
                if k not in ("figures", "schemes", "change_schemes")
            ],
            figures=_POOLED_OUT["figures"],
        output:
            pdf="results/pooled/report/pooled_report.pdf",
            html="results/pooled/report/pooled_report.html",
        log:
            "results/pooled/logs/pooled_report.log",
        group:
            cluster_group(POOLED_GROUP)
        threads: 1
        resources:
            **RESOURCES["pooled"],
        params:
            cfg=pooled_report_params(PROGRAMME),
            io=stage_io,
        shell:
            f'"{PY}" -m pipeline.cli pooled_report '
            f'--config {programme_config_path("pooled_report")} '
            f'--root "{workflow.basedir}" --io {{params.io:q}} --threads {{threads}} '
            "--log {log}"

    POOLED_OUTPUTS += list(rules.pooled_report.output)
