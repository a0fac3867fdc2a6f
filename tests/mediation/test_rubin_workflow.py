"""The workflow under ``mediation.mi.method: rubin``: ``snakemake -n`` plans no boot-MI block
jobs, and the mediation job reads the impute stage's imputations (rules/mediation.smk); under
the default (bootmi) it is the other way round."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "studies" / "demo.yaml"


def _dry_run(tmp_path: Path, mi: dict) -> str:
    """``snakemake -n`` of the demo study (its data, its config with ``mediation.mi = mi``)
    from an empty results folder."""
    cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    del cfg["study"]["id"]
    for w in cfg["waves"]:
        w["file"] = str(ROOT / w["file"])
    cfg["mediation"]["mi"] = mi
    study = tmp_path / "rubin.yaml"
    study.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    config = tmp_path / "studies.yaml"
    config.write_text(yaml.safe_dump({"studies": [str(study)]}), encoding="utf-8")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d",
           str(tmp_path / "work"), "--configfile", str(config), "--cores", "1", "-n"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _job(plan: str, rule: str) -> str:
    """The dry-run block of the job of ``rule``."""
    blocks = plan.split("\nrule ")
    (block,) = [b for b in blocks if b.startswith(f"{rule}:")]
    return block


def test_rubin_plans_no_boot_mi_jobs_and_reads_the_imputations(tmp_path):
    plan = _dry_run(tmp_path, {"method": "rubin"})
    assert "mediation_mi_block" not in plan
    job = _job(plan, "mediation_rubin")
    assert "results/rubin/imputed/imputations.parquet" in job.split("output:")[0]


def test_bootmi_plans_the_block_jobs_and_not_the_imputations(tmp_path):
    plan = _dry_run(tmp_path, {"method": "bootmi", "blocks": 2})
    assert plan.count("rule mediation_mi_block_rubin:") == 2
    job = _job(plan, "mediation_rubin")
    assert "imputations.parquet" not in job.split("output:")[0]
