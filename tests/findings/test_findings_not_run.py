"""Rows of analyses that did not run (pipeline/findings/not_run.py): one per analysis, with its
status (waits_for_data | not_run) and the reason in words, never a not-estimable row."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from pipeline.config import config_from_dict
from pipeline.findings.analysis import build_findings
from pipeline.findings.not_run import not_run_rows
from pipeline.findings.settings import from_config

ROOT = Path(__file__).resolve().parents[2]


def _settings(**edit):
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw = copy.deepcopy(raw)
    if "waves" in edit:
        raw["waves"] = raw["waves"][:edit.pop("waves")]
    for section, value in edit.items():
        raw[section].update(value)
    return from_config(config_from_dict(raw, root=ROOT))


def test_demo_has_one_not_run_row_single_group_no_comparison(settings):
    """The demo follows one group: the only analysis that does not run is the comparison, and
    its row says so (issue 16: "single group, no comparison")."""
    (row,) = not_run_rows(settings)
    assert row["finding_id"] == "not_run.comparison" and row["status"] == "not_run"
    assert row["sentence"].startswith("Comparison with another group: single group, no "
                                      "comparison")


def test_one_wave_every_analysis_waits():
    s = _settings(waves=1)
    rows = not_run_rows(s)
    assert [r["analysis"] for r in rows] == ["attrition", "change", "impute", "mediation",
                                              "crosslag", "comparison"]
    assert {r["status"] for r in rows[:5]} == {"waits_for_data"}
    change = next(r for r in rows if r["analysis"] == "change")
    assert change["sentence"] == ("Change over time: waits for a second wave (change is measured "
                                  "from entry to a follow-up wave).")
    assert s.chains == () and s.tipping_wave is None


def test_one_wave_findings_table_has_no_failures():
    # every wing table absent, as in a one-wave run: only the not_run rows, nothing
    # "not estimable" for analyses that were never meant to run yet
    table = build_findings({}, {}, _settings(waves=1))
    assert list(table["kind"]) == ["not_run"] * 6
    assert (table["status"][:5] == "waits_for_data").all()


def test_switched_off_analysis_row():
    s = _settings(crosslag={"enabled": False})
    row, _no_comparison = not_run_rows(s)
    assert row["finding_id"] == "not_run.crosslag" and row["status"] == "not_run"
    assert "switched off in the config (crosslag.enabled: false)" in row["sentence"]


def test_tipping_point_without_an_outcome_is_said():
    s = _settings(mediation={"analyses": {}}, missing_data={
        "sensitivity": {"wave": "T1", "units": "points"}})
    rows = {r["analysis"]: r for r in not_run_rows(s)}
    assert set(rows) == {"mediation", "tipping", "comparison"}
    assert "missing_data.sensitivity.outcome" in rows["tipping"]["message"]


def test_waiting_mediation_chain_is_one_row_and_the_stage_still_runs():
    half = {"design": "half_longitudinal", "x": "group_memberships", "mediators": ["belonging"],
            "y": "qol", "label": "Half-longitudinal chain"}
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["waves"] = raw["waves"][:2]
    raw["mediation"]["analyses"]["half"] = half
    s = from_config(config_from_dict(raw, root=ROOT))
    assert s.runs("mediation") and [c.name for c in s.chains] == ["social_cure_chain"]
    row = next(r for r in not_run_rows(s) if r["finding_id"] != "not_run.comparison")
    assert row["finding_id"] == "not_run.mediation.half"
    assert (row["analysis"], row["term"], row["status"]) == ("half", "mediation",
                                                            "waits_for_data")
    assert row["sentence"].startswith("Mediation: Half-longitudinal chain: waits for a third")
