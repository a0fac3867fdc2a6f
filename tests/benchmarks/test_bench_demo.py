"""Tests for benchmarks/bench_demo.py: CPU seconds are credited to the rule whose jobs spent them
(several rules run the same stage: impute and impute_chains) and rule times come from
Snakemake's metadata. (The full run is the benchmark itself, not a test.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_demo as bd  # noqa: E402

RULES = ["ingest_demo", "clean_demo", "impute_chains_demo", "impute_demo",
         "mediation_mi_block_demo", "mediation_demo", "ingest_demo_controlled",
         "impute_demo_controlled"]


def _write(path: Path, records: list[tuple[str, str, float]]) -> Path:
    path.write_text("".join(json.dumps({"stage": s, "log": log, "cpu": c}) + "\n"
                            for s, log, c in records))
    return path


def test_rule_cpu_keeps_rules_of_one_stage_apart(tmp_path):
    cpu = bd.rule_cpu(_write(tmp_path / "cpu.jsonl", [
        ("impute", "results/demo/logs/impute_chains_0.log", 10.0),
        ("impute", "results/demo/logs/impute_chains_1.log", 12.0),
        ("impute", "results/demo/logs/impute.log", 3.0),
        ("mediation", "results/demo/logs/mediation_mi_block_0.log", 7.0),
        ("mediation", "results/demo/logs/mediation_mi_block_1.log", 8.0),
        ("mediation", "results/demo/logs/mediation.log", 2.0),
        ("ingest", "results/demo/logs/ingest_T0.log", 1.0),
        ("ingest", "results/demo/logs/ingest_T1.log", 1.5),
        ("clean", "results/demo/logs/clean.log", 2.5),
    ]), RULES)
    assert cpu == {"impute_chains_demo": 22.0, "impute_demo": 3.0,
                   "mediation_mi_block_demo": 15.0, "mediation_demo": 2.0,
                   "ingest_demo": 2.5, "clean_demo": 2.5}


def test_rule_cpu_keeps_studies_apart(tmp_path):
    """A study whose name extends another's (demo, demo_controlled) is not mixed into it."""
    cpu = bd.rule_cpu(_write(tmp_path / "cpu.jsonl", [
        ("impute", "results/demo/logs/impute.log", 3.0),
        ("impute", "results/demo_controlled/logs/impute.log", 4.0),
        ("ingest", "results/demo_controlled/logs/ingest_0.log", 1.0),
    ]), RULES)
    assert cpu == {"impute_demo": 3.0, "impute_demo_controlled": 4.0,
                   "ingest_demo_controlled": 1.0}


def test_rule_cpu_without_records(tmp_path):
    assert bd.rule_cpu(tmp_path / "missing.jsonl", RULES) == {}


def test_rule_times_span_each_rules_jobs(tmp_path):
    meta = tmp_path / ".snakemake" / "metadata"
    meta.mkdir(parents=True)
    for i, (rule, h, s, e) in enumerate([("clean_demo", "a", 100.0, 102.0),
                                         ("impute_chains_demo", "b", 102.0, 110.0),
                                         ("impute_chains_demo", "c", 103.0, 112.0)]):
        (meta / f"f{i}").write_text(json.dumps({"rule": rule, "job_hash": h,
                                                "starttime": s, "endtime": e}))
    (meta / "junk").write_text("not json")
    times = bd.rule_times(tmp_path)
    assert list(times) == ["clean_demo", "impute_chains_demo"]
    assert times["impute_chains_demo"] == {"start": 2.0, "end": 12.0, "wall": 10.0, "jobs": 2}


def test_floors_divide_cpu_by_cores_and_count_only_the_mice_rules():
    rules = {"impute_chains_demo": 16.0, "mediation_mi_block_demo": 20.0, "impute_demo": 4.0,
             "change_demo": 4.0}
    assert bd.floors(66.0, rules, 2) == {"all": 33.0, "mice": 18.0}
    assert bd.floors(66.0, {"change_demo": 4.0}, 1) == {"all": 66.0, "mice": 0.0}
