"""Tests for benchmarks/bench_cluster.py: the snakemake log of a SLURM run is read right (which
rule or group each SLURM job ran, the planned jobs, the run id, the rule jobs a group job's log
shows with their times), rule names map to stages, and the light settings are ones the
workflow accepts. (The cluster runs are the benchmark itself and
tests/test_slurm_cluster.py.)"""

from __future__ import annotations

import os
import sys
import time
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


# a grouped run (profiles/slurm: one SLURM job per scheme): the submission names the group's
# log folder (group_<group>_<first five rules>...)
GROUPED_LOG = """\
[Mon Nov 30 21:14:56 2026] Group job study (jobs in lexicogr. order):

    [Mon Nov 30 21:14:56 2026]
    rule attrition_scheme_1:
        jobid: 9
Job e6fd20ab-66d1-5aa2-902e-3fe76a8fcd9a has been submitted with SLURM jobid 351 (log: \
/w/.snakemake/slurm_logs/group_study_attrition_scheme_1_change_scheme_1_clean_scheme_1_\
crosslag_scheme_1_findings_scheme_1_.../351.log).
Job 6d73c724-28dc-5de8-91b6-6b18e3c116fb has been submitted with SLURM jobid 352 (log: \
/w/.snakemake/slurm_logs/group_pooled_pooled_pooled_report/352.log).
"""

# the SLURM job's own log: a local snakemake running the group's rule jobs
GROUP_JOB_LOG = """\
[Mon Nov 30 21:15:10 2026] Group job study (jobs in lexicogr. order):

    [Mon Nov 30 21:15:10 2026]
    rule ingest_scheme_2:
        jobid: 1
[Mon Nov 30 21:15:20 2026]
localrule ingest_scheme_2:
    input: /tmp/raw/scheme_2/demo_T0_entry.csv
    jobid: 5
    wildcards: wave=T0
[Mon Nov 30 21:15:20 2026]
localrule ingest_scheme_2:
    jobid: 6
[Mon Nov 30 21:15:30 2026]
Finished jobid: 6 (Rule: ingest_scheme_2)
[Mon Nov 30 21:15:35 2026]
Finished jobid: 5 (Rule: ingest_scheme_2)
[Mon Nov 30 21:15:36 2026]
localrule clean_scheme_2:
    jobid: 4
"""


def test_grouped_log_gives_each_slurm_job_its_group():
    assert bc.submitted_jobs(GROUPED_LOG) == {"351": "group:study", "352": "group:pooled"}
    assert bc.submitted_jobs(GROUPED_LOG.replace(" (log:", " (x:")) == {"351": "?",
                                                                         "352": "?"}


def test_group_job_log_gives_each_finished_rule_job_its_time(tmp_path):
    # started and finished only: clean has not finished; the group header is no start
    assert bc.rule_runs(GROUP_JOB_LOG) == [("ingest_scheme_2", 10.0), ("ingest_scheme_2", 15.0)]
    logs = tmp_path / ".snakemake" / "slurm_logs" / "group_study_x" / "351.log"
    logs.parent.mkdir(parents=True)
    logs.write_text(GROUP_JOB_LOG)
    runs = bc.slurm_log_runs(tmp_path)
    rows = bc.per_stage(runs, ["scheme_2"])
    assert rows == [{"rule": "ingest", "jobs": 2, "run_s": 25.0, "max_s": 15.0}]


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


def test_stop_after_stops_the_workflow_and_keeps_the_report(tmp_path, monkeypatch):
    # a stand-in for run_on_slurm.sh: its "snakemake" runs in the foreground for a minute,
    # then the script reports; --stop-after ends the snakemake, not the script
    script = tmp_path / "run_on_slurm.sh"
    script.write_text('#!/usr/bin/env bash\n'
                      'python3 -c "import time; time.sleep(60)" snakemake --directory "$1/work"\n'
                      'echo \'{"schemes": 2, "wall_s": 1.0}\'\n')
    script.chmod(0o755)
    monkeypatch.setattr(bc, "SCRIPT", script)
    monkeypatch.setattr(bc, "STOP_GRACE_S", 0.0)
    work = tmp_path / "w"
    t0 = time.monotonic()
    proc, stopped = bc.run_script(work, dict(os.environ), stop_after=2.0)
    assert stopped and time.monotonic() - t0 < 30
    assert proc.stdout.strip().splitlines()[-1] == '{"schemes": 2, "wall_s": 1.0}'


def test_partial_numbers_extrapolate_the_finished_schemes(capsys):
    class Args:
        schemes = 50

    est = bc._partial(Args, {"wall_s": 1800.0}, ["scheme_01", "scheme_02", "scheme_03"], 900.0)
    assert est == {"schemes_done": 3, "schemes_per_hour": 6.0, "wall_s_at_this_rate": 30000,
                   "cpu_s_per_scheme_upper": 300.0}
    assert "3 of 50 schemes done" in capsys.readouterr().out
    assert bc._partial(Args, {"wall_s": 60.0}, [], 10.0) == {"schemes_done": 0,
                                                              "schemes_per_hour": 0.0}
