# Validate the configuration once, at start-up, and expose helpers to the rule files.
import json
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

from pipeline.errors import PipelineError
from pipeline.plan import study_plan
from pipeline.validate import stage_settings_json, validate_config

try:
    CFG = validate_config(config, root=workflow.basedir)
except PipelineError as exc:
    sys.stderr.write(f"\nConfiguration problem: {exc}\n\n")
    raise SystemExit(2)

_missing = [w for w in CFG.waves if not CFG.path(w.file).exists()]
if _missing:
    sys.stderr.write(
        "\nInput problem: these wave files named in config 'waves' do not exist:\n"
        + "".join(f"  - wave {w.id}: {w.file}\n" for w in _missing)
        + "Put each wave's export in data/raw/ or correct 'file' in config/config.yaml.\n\n"
    )
    raise SystemExit(2)

WAVES = CFG.wave_ids
PY = sys.executable

# Which analyses run (pipeline/plan.py): a wing switched off in the config, or waiting for a
# wave the study has not configured yet, has no rule in the workflow; the findings table and
# the report say why. The change rule always runs (without a follow-up wave it writes the
# baseline descriptives only).
PLAN = study_plan(CFG)
RUNS = {stage for stage, p in PLAN.items() if p.runs}
for _p in PLAN.values():
    if not _p.runs:
        sys.stderr.write(f"Not run: {_p.stage}: {_p.reason}\n")

# The effective configuration (config file + any --config overrides) is written once per run
# for the CLI stages; it is rewritten only when its content changes, so it never triggers reruns
# by itself (each rule declares the config it reads as params instead). It lives beside
# Snakemake's own state, not under results/, whose every file is a declared output.
EFFECTIVE_CONFIG = Path(".snakemake/socialcure/effective_config.json")
EFFECTIVE_CONFIG.parent.mkdir(parents=True, exist_ok=True)
_text = json.dumps(config, sort_keys=True, indent=1, default=str)
if not EFFECTIVE_CONFIG.exists() or EFFECTIVE_CONFIG.read_text() != _text:
    EFFECTIVE_CONFIG.write_text(_text)


def section(*keys):
    """JSON of config sections a rule depends on (used as params => reruns when they change)."""
    return json.dumps({k: config.get(k) for k in keys}, sort_keys=True, default=str)


def wave_entry(wave_id):
    """JSON of one wave's config entry."""
    entry = next(w for w in config["waves"] if w["id"] == wave_id)
    return json.dumps(entry, sort_keys=True, default=str)


def cli(stage):
    return f'"{PY}" -m pipeline.cli {stage} --config {EFFECTIVE_CONFIG} --root "{workflow.basedir}"'


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


def run_stage(stage):
    """Shell command of a rule whose stage takes its files by name (``params.io``)."""
    return cli(stage) + " --io {params.io:q} --threads {threads} --log {log}"


def settings_params(stage):
    """JSON of what a stage reads from the config: its wing's resolved settings (defaults filled)
    and the core keys it declares. Used as the rule's params, so a rule reruns when, and only
    when, something it reads changes."""
    return stage_settings_json(CFG, stage)


def rule_outputs(rule_name):
    """Declared outputs of an included rule; [] for a rule not in the workflow (its wing does
    not run for this study)."""
    try:
        return list(getattr(rules, rule_name).output)
    except WorkflowError:  # not included: its wing does not run
        return []


def declared_outputs(rule_name, keep):
    """Declared outputs of an already included rule whose file name satisfies ``keep``. Used by
    the rules that read other wings' tables by name (findings, report): a table a wing does not
    declare, or of a wing that does not run, is simply not an input (its reader reports it as
    not estimable, or the findings table says why the wing did not run)."""
    return [p for p in rule_outputs(rule_name) if keep(os.path.basename(p))]


def declared_output(rule_name, filename):
    """The declared output of ``rule_name`` named ``filename``, or None."""
    found = declared_outputs(rule_name, lambda b: b == filename)
    return found[0] if found else None


def in_report(paths, caption, category):
    """Mark PNG figures and CSV tables for Snakemake's provenance report (``snakemake --report
    results/report/workflow_report.html``); other files (SVG twins, ...) are left as they are.
    """
    paths = [paths] if isinstance(paths, str) else paths
    opts = dict(caption=f"captions/{caption}.rst", category=category)
    mark = globals()[
        "report"
    ]  # Snakemake's report(); the bare word is a directive here
    return [mark(p, **opts) if p.endswith((".png", ".csv")) else p for p in paths]


CLEAN = dict(
    long="results/clean/long.parquet",
    wide="results/clean/wide.parquet",
    qc="results/clean/qc_log.csv",
)
