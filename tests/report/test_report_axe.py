"""axe-core in headless Chromium (Debian's /usr/bin/chromium) finds no serious or critical
accessibility violation in the HTML report; and it does find them in a page built to fail.

Needs Debian's Chromium (``apt-get install -y chromium``) and the npm package axe-core, which
this module installs into ``.venv/a11y`` itself when npm is available (the npm registry is one
of the registries the project may use); skips with the reason when either cannot be had.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from axe_check import DEFAULT_AXE, chromium, run_axe, screenshot, serious


def _install_axe() -> bool:
    """axe-core from the npm registry into .venv/a11y (once), when npm is on the machine."""
    if DEFAULT_AXE.exists():
        return True
    npm = shutil.which("npm")
    if npm is None:
        return False
    prefix = DEFAULT_AXE.parents[2]
    subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                    "axe-core@4"], capture_output=True, text=True, timeout=300)
    return DEFAULT_AXE.exists()


pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    chromium() is None or not _install_axe(),
    reason="needs Chromium (apt-get install -y chromium) and axe-core "
           "(npm install --prefix .venv/a11y axe-core)")]


def test_no_serious_violations(built, tmp_path):
    result = run_axe(built[1])
    assert result["passes"] > 20
    assert not serious(result), serious(result)
    assert screenshot(built[1], tmp_path / "shot.png").stat().st_size > 10_000


def test_the_check_can_fail(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>x</title></head><body>'
                   '<img src="a.png"><table><tr><td>1</td></tr></table></body></html>')
    ids = {v["id"] for v in serious(run_axe(bad))}
    assert {"image-alt", "html-has-lang"} <= ids
