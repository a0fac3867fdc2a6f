"""The workflow and the code pass their linters (run by the README's test command).

`snakemake --lint` may only ask for conda environments or containers (no conda channel is
reachable here, so an environment that cannot be tested is not wanted); `snakefmt --check`
and `ruff check` must pass.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is not installed: it is part of the test extra in pyproject.toml")
        return found
    return str(path)


def test_snakefmt():
    proc = subprocess.run([_tool("snakefmt"), "--check", "Snakefile", "rules"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff():
    proc = subprocess.run([_tool("ruff"), "check", "pipeline", "tests", "benchmarks"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr


def test_snakemake_lint_only_asks_for_environments(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
         "--lint"], capture_output=True, text=True, timeout=300,
    )
    text = proc.stdout + proc.stderr
    lints = [line.strip() for line in text.splitlines() if line.strip().startswith("* ")]
    other = [line for line in lints if "conda environment or container" not in line]
    assert other == [], text[-5000:]
