"""The SLURM path (issue 15, "a real cluster"): the profile in profiles/slurm, the single-node
cluster of scripts/slurm_local.sh and scripts/run_on_slurm.sh, which runs the workflow on two
synthetic schemes through SLURM. The run itself needs SLURM (`sbatch`) and is skipped, with the
reason, where it is not installed; it takes 20-30 minutes, so it runs
with SOCIALCURE_SLURM_TEST=1, not in every local test run. The checks of the files run
everywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ("slurm_local.sh", "run_on_slurm.sh")


def test_profile_uses_the_slurm_plugin_without_accounting():
    prof = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    assert prof["executor"] == "slurm"
    # no slurmdbd on the local cluster: poll squeue and never ask for an account
    assert prof["slurm-status-command"] == "squeue"
    assert prof["slurm-no-account"] is True
    res = prof["default-resources"]
    assert {"mem_mb", "runtime", "slurm_partition"} <= set(res)
    # a default cpus_per_task would override every rule's threads (--cpus-per-task)
    assert "cpus_per_task" not in res


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_are_valid_bash_and_executable(name):
    path = ROOT / "scripts" / name
    assert os.access(path, os.X_OK), f"{path} is not executable"
    proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _cluster_reason() -> str | None:
    """Why the cluster run cannot happen here (None: it can)."""
    if not os.environ.get("SOCIALCURE_SLURM_TEST"):
        # two whole workflows through SLURM take 20-30 minutes on a shared 2-core machine:
        # on request only (the studies-as-data layout moves its paths; see issue 15's note)
        return ("the SLURM run takes 20-30 minutes: run it with SOCIALCURE_SLURM_TEST=1")
    if shutil.which("sbatch") is None:
        return ("SLURM is not installed (no sbatch on PATH); apt-get install -y slurm-wlm munge, "
                "then sudo scripts/slurm_local.sh")
    answers = subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0
    if not answers and os.geteuid() != 0:
        return "no SLURM cluster answers (sinfo) and not root to start one (scripts/slurm_local.sh)"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (pip install 'socialcure[slurm]')"
    return None


@pytest.mark.slow
@pytest.mark.e2e
def test_two_schemes_run_through_slurm(tmp_path):
    reason = _cluster_reason()
    if reason:
        pytest.skip(reason)
    # 600 per scheme (the demo's size): with a few hundred, T2 holds ~20 people and the change
    # stage's FIML model can be refused as singular, which is not what this test is about
    env = {**os.environ, "N": "600", "SCHEMES": "2", "WAVES": "3", "PY": sys.executable}
    proc = subprocess.run([str(ROOT / "scripts" / "run_on_slurm.sh"), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["schemes"] == 2
    studies_layout = (ROOT / "config" / "studies").is_dir()  # results/<study>/, one call
    for scheme in ("scheme_1", "scheme_2"):
        if studies_layout:
            results = tmp_path / "work" / "results" / scheme
        else:
            results = tmp_path / "work" / scheme / "results"
        assert list((results / "report").glob("*_report.pdf")), scheme
        assert (results / "tables" / "findings.csv").exists()
    # every rule job went through SLURM: ingest x 3, clean, change, ... per scheme
    assert summary["slurm_jobs"] >= 2 * 8
