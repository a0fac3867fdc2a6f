"""End-to-end: the controlled demo study (config/studies/demo_controlled.yaml, issue 16) through
the whole workflow: the comparison with usual care, healthcare use (GP visits, a count) and the
moderation analyses run beside the single-group chain, reach the findings table and the report,
and find what the generator planted (pipeline/demo/controlled_params.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "studies" / "demo_controlled.yaml"


def run_workflow(workdir: Path, *extra: str):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--cores", "2", "--quiet", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="module")
def controlled(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("controlled_run")
    proc = run_workflow(work, "--configfile", str(CONFIG))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return work / "results" / "demo_controlled"


def test_the_wings_beyond_one_group_reach_the_findings(controlled):
    f = pd.read_csv(controlled / "tables" / "findings.csv")
    for kind in ("comparison", "healthcare", "moderation"):
        prim = f[(f["kind"] == kind) & (f["role"] == "primary")]
        assert len(prim) and (prim["status"] == "ok").any(), kind
        assert prim["sentence"].fillna("").str.len().gt(0).any(), kind
    # the design is said: not randomised, measured differences only
    design = f[f["finding_id"] == "comparison.design"]["sentence"].iloc[0]
    assert "not randomised" in design


def test_the_planted_difference_in_change_is_found(controlled):
    c = pd.read_csv(controlled / "tables" / "comparison_change.csv")
    d = c[(c["outcome"] == "loneliness") & (c["wave"] == "T1")
          & (c["arm"] == "programme - reference") & (c["role"] == "primary")]
    assert len(d) == 1
    est, lo, hi = d[["est", "ci_lower", "ci_upper"]].iloc[0]
    assert lo < est < hi < 0  # planted about -0.6 points on the 3-9 UCLA-3 sum


def test_the_count_is_left_to_the_healthcare_wing(controlled):
    status = pd.read_csv(controlled / "tables" / "change_status.csv")
    gp = status[status["construct"] == "gp_visits"]
    assert list(gp["status"]) == ["not_run"]
    h = pd.read_csv(controlled / "tables" / "healthcare_change.csv")
    rr = h[(h["quantity"] == "rate_ratio") & (h["method"] == "glmm")]
    assert len(rr) == 2 and (rr["estimate"] > 0).all()


def test_the_report_has_the_sections_and_no_ids(controlled):
    html = (controlled / "report" / "demo_controlled_report.html").read_text(encoding="utf-8")
    for key in ("comparison", "healthcare", "moderation"):
        assert f'<section id="{key}"' in html, key
    assert not re.search(r"\bS[PC]-?\d{3,}", html, flags=re.I), "a participant id in the report"
    # every findings row is named in words; only the technical appendix adds its id, in [...]
    ids = re.findall(r"<td>((?:change|comparison|crosslag|mediation|healthcare|moderation|"
                     r"participation)[._][^<]*)</td>", html)
    assert not ids, ids[:3]
