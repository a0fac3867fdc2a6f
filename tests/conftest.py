"""Shared fixtures."""

from __future__ import annotations

import os

# As in pipeline.cli: one BLAS thread, so tests see the numbers the workflow writes.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# The demo and fixture .xlsx writers must not depend on whether lxml is installed.
os.environ.setdefault("OPENPYXL_LXML", "False")

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def project_root() -> Path:
    return ROOT


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


def run_workflow(workdir: Path, *extra: str, quiet: bool = True):
    """Run the project's Snakefile with ``workdir`` as working directory (raw files only read)."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--cores", "2", *(["--quiet"] if quiet else []), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="session")
def demo_workflow_run(tmp_path_factory) -> Path:
    """One full run of the workflow on the demo study, shared by every end-to-end test
    (``results/demo/`` of a temporary working directory: the default config lists the demo
    study, config/studies/demo.yaml). Checks that data/raw/ is only read."""
    work = tmp_path_factory.mktemp("demo_run")
    raw = ROOT / "data" / "raw"
    before = {p.name: p.read_bytes() for p in raw.iterdir() if p.is_file()}
    proc = run_workflow(work)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    after = {p.name: p.read_bytes() for p in raw.iterdir() if p.is_file()}
    assert before == after, "raw files must never be modified"
    return work / "results" / "demo"
