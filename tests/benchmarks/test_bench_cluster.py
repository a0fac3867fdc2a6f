"""Tests for benchmarks/bench_cluster.py: the snakemake log of a SLURM run is read right (which
rule each SLURM job ran, the planned jobs, the run id), rule names map to stages, and the light
settings are ones the workflow accepts. (The cluster runs are the benchmark itself and
tests/test_slurm_cluster.py.)"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_cluster as bc  # noqa: E402

from pipeline.studies import deep_merge  # noqa: E402
from pipeline.validate import validate_config  # noqa: E402

# the shape of a snakemake 9 log with snakemake-executor-plugin-slurm 2.8
LOG = """\
SLURM run ID: 8a535f40-f8a8-4376-980b-82fb032848b4
Job stats:
job                            count
---------------------------  -------
ingest_scheme_01                   2
pooled                             1
all                                1
total                              4

rule ingest_scheme_01:
    input: /tmp/raw/scheme_01/demo_T0_entry.csv
    jobid: 5
    wildcards: wave=T0
Job 5 has been submitted with SLURM jobid 110 (log: /w/.snakemake/slurm_logs/110.log).

rule ingest_scheme_01:
    jobid: 6
    wildcards: wave=T1
Job 6 has been submitted with SLURM jobid 111 (log: /w/.snakemake/slurm_logs/111.log).
[Mon Nov 30 18:18:38 2026]
Finished jobid: 5 (Rule: ingest_scheme_01)

rule pooled:
    jobid: 9
Job 9 has been submitted with SLURM jobid 112 (log: /w/.snakemake/slurm_logs/112.log).

localrule all:
    jobid: 0
"""


def test_log_gives_each_slurm_job_its_rule_and_the_plan():
    assert bc.submitted_jobs(LOG) == {"110": "ingest_scheme_01", "111": "ingest_scheme_01",
                                      "112": "pooled"}
    assert bc.planned_jobs(LOG) == {"ingest_scheme_01": 2, "pooled": 1, "all": 1}
    assert bc.run_id(LOG) == "8a535f40-f8a8-4376-980b-82fb032848b4"
    assert bc.run_id("no executor here") is None
    assert bc.planned_jobs("nothing planned") == {}


def test_rules_are_counted_by_stage():
    schemes = ["scheme_01", "scheme_10"]
    assert bc.stage_of("mediation_mi_block_scheme_10", schemes) == "mediation_mi_block"
    assert bc.stage_of("pooled", schemes) == "pooled"
    seen = {"110": bc.SlurmJob("COMPLETED", "2026-11-30T18:17:53", "2026-11-30T18:18:19"),
            "111": bc.SlurmJob("RUNNING", "2026-11-30T18:18:20", "Unknown")}
    rows = bc.per_rule(bc.submitted_jobs(LOG), seen, ["scheme_01"])
    by = {r["rule"]: r for r in rows}
    assert by["ingest"]["jobs"] == 2 and by["ingest"]["timed"] == 1
    assert by["ingest"]["run_s"] == 26.0 and by["pooled"]["timed"] == 0


def test_light_settings_are_accepted_by_the_workflow():
    demo = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    cfg = validate_config(deep_merge(demo, bc.LIGHT), root=ROOT)
    assert cfg is not None
