# Validate the configuration once, at start-up, and expose helpers to the rule files.
# The run covers one or more studies (pipeline/studies.py): each rule file defines its wing's
# rule once per study for which the wing runs, named "<stage>_<study>" (e.g. change_demo),
# reading and writing under results/<study>/. One rule per study, not one rule with a {study}
# wildcard: a rule's outputs are fixed patterns, and a study's output list depends on its own
# config (its scales, waves, mediation chains, cross-lag models).
import json
import os
import re
import sys

from snakemake.exceptions import WorkflowError

from pipeline.errors import PipelineError
from pipeline.studies import effective_config_path, load_studies, results_path
from pipeline.validate import stage_settings_json

try:
    STUDIES = {s.name: s for s in load_studies(config, root=workflow.basedir)}
except PipelineError as exc:
    sys.stderr.write(f"\nConfiguration problem: {exc}\n\n")
    raise SystemExit(2)

_missing = [
    (s, w)
    for s in STUDIES.values()
    for w in s.cfg.waves
    if not s.cfg.path(w.file).exists()
]
if _missing:
    sys.stderr.write(
        "\nInput problem: these wave files named in config 'waves' do not exist:\n"
        + "".join(f"  - study {s.name}, wave {w.id}: {w.file}\n" for s, w in _missing)
        + "Put each wave's export in data/raw/ or correct 'file' in the study's config"
        + "".join(sorted({f" ({s.source})" for s, _ in _missing if s.source}))
        + ".\n\n"
    )
    raise SystemExit(2)

PY = sys.executable

# Which analyses run for each study (pipeline/plan.py): a wing switched off in the config, or
# waiting for a wave the study has not configured yet, has no rule for that study; the findings
# table and the report say why. The change rule always runs (without a follow-up wave it writes
# the baseline descriptives only). A wing's rule file is included when it runs for any study.
RUNS_ANY = set().union(*(s.runs for s in STUDIES.values()))
for _s in STUDIES.values():
    for _p in _s.plan.values():
        if not _p.runs:
            _who = f" (study {_s.name})" if len(STUDIES) > 1 else ""
            sys.stderr.write(f"Not run: {_p.stage}{_who}: {_p.reason}\n")


def config_name(study):
    """The file an evaluator edits for ``study``, as the stages' messages name it: the study's
    own file, else the --configfile(s) given on the command line."""
    if study.file:
        return study.file
    files = [
        os.path.relpath(f, workflow.basedir) for f in workflow.overwrite_configfiles
    ]
    return " / ".join(files) or "the config file"


# Each study's effective configuration (defaults <- study file <- --config overrides) is
# written once per run for the CLI stages; it is rewritten only when its content changes, so it
# never triggers reruns by itself (each rule declares the config it reads as params instead).
# It lives beside Snakemake's own state, not under results/, whose every file is a declared
# output.
for _s in STUDIES.values():
    _path = effective_config_path(_s.name)
    _path.parent.mkdir(parents=True, exist_ok=True)
    _text = json.dumps(_s.raw, sort_keys=True, indent=1, default=str)
    if not _path.exists() or _path.read_text() != _text:
        _path.write_text(_text)

# Beside it, the name of the file an evaluator edits for the study, which the stages' messages
# use ("set id_column in config/studies/demo.yaml"); not a rule input, so naming it never
# reruns anything.
for _s in STUDIES.values():
    _name_path = effective_config_path(_s.name).with_name("config_name.txt")
    _name_path.parent.mkdir(parents=True, exist_ok=True)
    if not _name_path.exists() or _name_path.read_text() != config_name(_s):
        _name_path.write_text(config_name(_s))


# What each rule asks of a scheduler (helper for SLURM and friends; a local run ignores mem_mb
# and runtime unless --resources caps them). Stages are single-threaded (one BLAS thread,
# pipeline/cli.py); runtime in minutes, generous for a study of a few thousand participants.
RESOURCES = {
    "ingest": dict(mem_mb=2000, runtime=15),
    "clean": dict(mem_mb=2000, runtime=20),
    "change": dict(mem_mb=2000, runtime=30),
    "attrition": dict(mem_mb=2000, runtime=20),
    "impute": dict(mem_mb=4000, runtime=120),
    "impute_chains": dict(mem_mb=4000, runtime=120),
    "mediation": dict(mem_mb=4000, runtime=180),
    "crosslag": dict(mem_mb=3000, runtime=120),
    "healthcare": dict(mem_mb=2000, runtime=30),
    "comparison": dict(mem_mb=2000, runtime=60),
    "moderation": dict(mem_mb=2000, runtime=30),
    "findings": dict(mem_mb=1000, runtime=10),
    "report": dict(mem_mb=2000, runtime=20),
    "pooled": dict(mem_mb=3000, runtime=60),
}


# Job groups for a cluster (profiles/slurm): every rule of a study is in the group STUDY_GROUP,
# so each study's jobs (a connected part of the DAG) form ONE group job, i.e. one SLURM job, in
# which Snakemake runs them itself; the run-level pooled rules form another (POOLED_GROUP).
# `--group-components study=K` packs K studies into one SLURM job. A group's resources: per
# layer of jobs that can run at once the sum, over layers the maximum (runtime: the sum), capped
# per group job by the profile's `cores` and `resources: mem_mb`. Only when the jobs go to a
# cluster executor: a local run, and `snakemake -n`, plan and show every job on its own as
# before (Snakemake itself ignores groups when running locally, but shows them in a dry run).
STUDY_GROUP = "study"
POOLED_GROUP = "pooled"


def cluster_group(name):
    """The rule's ``group:``: ``name`` when the workflow's executor is not local (SLURM and
    friends), else None. A function of the job's wildcards, so it is read when the jobs are
    planned, once the executor is known (not when the Snakefile is parsed)."""
    return lambda wildcards: None if workflow.local_exec else name


def studies_running(stage):
    """The studies for which ``stage`` runs, in the order configured."""
    return [s for s in STUDIES.values() if stage in s.runs]


def out(study, relative):
    """``results/<study>/<relative>``."""
    return results_path(study.name, relative)


def rule_name(stage, study):
    """The name of ``stage``'s rule for ``study`` (e.g. ``change_demo``)."""
    return f"{stage}_{study.name}"


def wave_constraint(study):
    """Regex of the study's wave ids (the {wave} wildcard matches nothing else)."""
    return "|".join(re.escape(w) for w in study.cfg.wave_ids)


def cli(stage, study=None):
    """The stage's command. It names nothing of the study: Snakemake evaluates a shell
    expression again when the job runs, when the loop variable of the rule files (``for S in
    ...``) holds the last study, so the study's effective config comes from the params of
    each job (``params.effective``, bound at definition time by :func:`effective`).
    """
    return (
        f'"{PY}" -m pipeline.cli {stage} --config {{params.effective:q}} '
        f'--root "{workflow.basedir}"'
    )


def effective(study):
    """The study's effective config file, for a rule's ``params.effective``."""
    return str(effective_config_path(study.name))


def stage_io(wildcards, input, output):
    """JSON of a rule's named inputs and outputs, for ``pipeline.cli --io`` (StageIO)."""
    return json.dumps(
        {
            "input": dict(input.items()),
            "output": dict(output.items()),
            "wildcards": dict(wildcards.items()),
        },
        sort_keys=True,
    )


def run_stage(stage, study=None):
    """Shell command of a rule whose stage takes its files by name (``params.io``) and its
    config from ``params.effective`` (``study`` is not used: see :func:`cli`)."""
    return cli(stage, study) + " --io {params.io:q} --threads {threads} --log {log}"


def settings_params(stage, study):
    """JSON of what a stage reads from the study's config: its wing's resolved settings
    (defaults filled) and the core keys it declares. Used as the rule's params, so a rule reruns
    when, and only when, something it reads changes."""
    return stage_settings_json(study.cfg, stage)


def rule_outputs(stage, study):
    """Declared outputs of ``stage``'s rule for ``study``; [] for a rule not in the workflow
    (its wing does not run for this study)."""
    try:
        return list(getattr(rules, rule_name(stage, study)).output)
    except (WorkflowError, AttributeError):  # not defined: its wing does not run
        return []


def declared_outputs(stage, study, keep):
    """Declared outputs of an already defined rule whose file name satisfies ``keep``. Used by
    the rules that read other wings' tables by name (findings, report): a table a wing does not
    declare, or of a wing that does not run, is simply not an input (its reader reports it as
    not estimable, or the findings table says why the wing did not run)."""
    return [p for p in rule_outputs(stage, study) if keep(os.path.basename(p))]


def declared_output(stage, study, filename):
    """The declared output of ``stage``'s rule for ``study`` named ``filename``, or None."""
    found = declared_outputs(stage, study, lambda b: b == filename)
    return found[0] if found else None


def in_report(paths, caption, category, study):
    """Mark PNG figures and CSV tables for Snakemake's provenance report (``snakemake --report
    results/workflow_report.html``), grouped by study; other files (SVG twins, ...) are left as
    they are.
    """
    paths = [paths] if isinstance(paths, str) else paths
    opts = dict(
        caption=f"captions/{caption}.rst", category=category, subcategory=study.name
    )
    mark = globals()[
        "report"
    ]  # Snakemake's report(); the bare word is a directive here
    return [mark(p, **opts) if p.endswith((".png", ".csv")) else p for p in paths]


def clean_files(study):
    """The clean data of ``study`` (outputs of its clean rule, inputs of the analyses)."""
    return dict(
        long=out(study, "clean/long.parquet"),
        wide=out(study, "clean/wide.parquet"),
        qc=out(study, "clean/qc_log.csv"),
    )


# The report reads the findings table and, by file name, the declared outputs of the study's
# other rules (rules/report.smk).
REPORT_TABLE_FILES = {
    "clean": ["reliability.csv", "data_quality.csv"],
    "change": [
        "descriptives_baseline_public.csv",
        "change_means.csv",
        "change_primary_means.csv",
        "change_status.csv",
        "change_rci_shares_public.csv",
        "change_bands_public.csv",
        "change_sentences.csv",
    ],
    "attrition": ["attrition_flow_public.csv", "attrition_mcar.csv"],
    "impute": ["missing_data_primary.csv", "sensitivity_tipping_point.csv"],
    "mediation": ["mediation_estimates.csv", "mediation_status.csv"],
    "crosslag": [
        "crosslag_lagged_effects.csv",
        "crosslag_status.csv",
        "crosslag_fit.csv",
        "crosslag_comparison.csv",
    ],
    "comparison": [
        "comparison_flow_public.csv",
        "comparison_balance_public.csv",
        "comparison_sentences.csv",
        "comparison_mediation_test.csv",
        "comparison_crosslag_test.csv",
    ],
}
# figures the report shows (SVG twins; the PNGs are for other uses)
REPORT_FIGURE_PREFIXES = (
    "attrition_flow",
    "change_",
    "sensitivity_tipping_point",
    "mediation_",
    "crosslag_",
    "comparison_",
    "healthcare_",
    "moderation_",
)


def report_inputs(study):
    """The study's findings table and every declared output of its rules the report reads
    ([] for a wing that does not run for the study; the findings table says why)."""
    outputs = {
        stage: rule_outputs(stage, study)
        for stage in (
            "clean",
            "change",
            "attrition",
            "impute",
            "mediation",
            "crosslag",
            "comparison",
            "healthcare",
            "moderation",
        )
    }
    return dict(
        findings=out(study, "tables/findings.csv"),
        tables=[
            p
            for stage, names in REPORT_TABLE_FILES.items()
            for p in outputs[stage]
            if os.path.basename(p) in names
        ],
        attrition=[p for p in outputs["attrition"] if p.endswith("summary.json")],
        impute=[p for p in outputs["impute"] if p.endswith("summary.json")],
        long=clean_files(study)["long"],
        models=[p for p in outputs["crosslag"] if p.endswith(".lav")],
        figures=[
            p
            for stage in (
                "attrition",
                "change",
                "impute",
                "mediation",
                "crosslag",
                "comparison",
                "healthcare",
                "moderation",
            )
            for p in outputs[stage]
            if p.endswith(".svg")
            and os.path.basename(p).startswith(REPORT_FIGURE_PREFIXES)
        ],
    )
