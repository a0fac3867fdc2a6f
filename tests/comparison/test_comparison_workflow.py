"""The comparison rule in a Snakemake run on a small generated two-arm study
(two_arm_study.write_two_arm_study: 240 people, three waves, MICE m = 5): every declared
output is written, nothing else, the planted effect is found, and a rerun is byte-identical."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from two_arm_study import write_two_arm_study

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TABLES = ["comparison_flow", "comparison_flow_public", "comparison_balance",
          "comparison_balance_public", "comparison_change", "comparison_means",
          "comparison_sentences"]


def _snakemake(work: Path, config: Path, *extra: str):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
           *extra, "--configfile", str(config), "--cores", "2", "--quiet"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("twoarm")
    config = write_two_arm_study(root)
    proc = _snakemake(root, config, "comparison_twoarm")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root, config


def test_declared_outputs_and_nothing_else(run):
    root, _ = run
    res = root / "results" / "twoarm"
    for t in TABLES:
        assert (res / "tables" / f"{t}.csv").exists(), t
    figs = sorted(p.name for p in (res / "figures").glob("comparison_*"))
    assert figs == [f"comparison_{k}.{e}" for k in ("group_memberships", "loneliness")
                    for e in ("png", "svg")]
    assert sorted(p.name for p in (res / "tables").glob("comparison_*")) == sorted(
        f"{t}.csv" for t in TABLES)


def test_planted_difference_in_change_and_words(run):
    root, _ = run
    tables = root / "results" / "twoarm" / "tables"
    change = pd.read_csv(tables / "comparison_change.csv")
    did = change[(change["estimand"] == "difference in change") & (change["role"] == "primary")
                 & (change["outcome"] == "loneliness")]
    assert set(did["method"]) == {"fiml"} and (did["status"] == "ok").all()
    assert (did["est"] < 0).all()  # loneliness falls more in the programme arm
    assert set(change["method"]) == {"fiml", "mi", "complete_case", "weighted"}
    mi = change[change["method"] == "mi"]
    assert (mi["status"] == "ok").all() and mi["message"].str.contains("m = 5").all()
    sentences = pd.read_csv(tables / "comparison_sentences.csv")
    assert "not randomised" in sentences.loc[sentences["kind"] == "design", "sentence"].iloc[0]
    flow = pd.read_csv(tables / "comparison_flow.csv")
    assert set(flow["arm"]) == {"Social prescribing", "Usual care"}
    pub = pd.read_csv(tables / "comparison_flow_public.csv", dtype=str)
    for v in pub[["entered", "answered", "not_answered"]].to_numpy().ravel():
        assert not (v.isdigit() and 0 < int(v) < 10)


def test_rerun_is_byte_identical(run):
    root, config = run
    tables = root / "results" / "twoarm" / "tables"
    before = {t: (tables / f"{t}.csv").read_bytes() for t in TABLES}
    proc = _snakemake(root, config, "comparison_twoarm", "--forcerun", "comparison_twoarm")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {t: (tables / f"{t}.csv").read_bytes() for t in TABLES} == before
