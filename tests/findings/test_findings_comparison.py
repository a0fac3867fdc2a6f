"""pipeline.findings.comparison: findings rows of the comparison (to be wired in by the lead)."""

from __future__ import annotations

import pandas as pd

from pipeline.findings.comparison import comparison_findings
from pipeline.findings.table import COLUMNS


def _change() -> pd.DataFrame:
    base = dict(outcome="loneliness", wave="T1", contrast="T1 - T0",
                estimand="difference in change", arm="Programme - Usual care", se=0.2,
                ci_level=0.95, pvalue=0.01, n_contributing=300, n_pairs_programme=150,
                n_pairs_reference=60, units="points on the 3–9 UCLA-3 sum", scale_min=3.0,
                scale_max=9.0, stands_in="", message="")
    return pd.DataFrame([
        base | dict(method="fiml", role="primary", est=-0.6, ci_lower=-1.0, ci_upper=-0.2,
                    status="ok"),
        base | dict(method="complete_case", role="sensitivity", est=-0.5, ci_lower=-0.9,
                    ci_upper=-0.1, status="ok"),
        base | dict(estimand="change within arm", arm="Usual care", method="fiml",
                    role="primary", est=-0.2, ci_lower=-0.5, ci_upper=0.1, status="ok")])


SENTENCES = pd.DataFrame({"kind": ["design", "balance"],
                          "sentence": ["Participants were not randomised ...",
                                       "At entry the groups differed most ..."]})
LABELS = {"loneliness": "Loneliness (UCLA-3)"}
WAVES = {"T1": "About 4 months"}


def test_rows_in_the_findings_format_with_design_caveat():
    rows = comparison_findings(_change(), SENTENCES, randomised=False, labels=LABELS,
                               wave_labels=WAVES)
    assert all(set(r) == set(COLUMNS) for r in rows)
    ids = [r["finding_id"] for r in rows]
    assert ids == ["comparison.design", "comparison.balance", "comparison.loneliness.T1",
                   "comparison.loneliness.T1@complete_case"]
    p = rows[2]
    assert p["role"] == "primary" and p["kind"] == "comparison" and p["n_observed"] == 210
    assert "non_randomised" in p["caveats"] and "mar_assumption" in p["caveats"]
    assert p["evidence"] == "likely"
    assert "fell more in the programme group" in p["sentence"]
    assert "accounts for measured differences" in p["sentence"]
    assert rows[3]["sentence"] == "" and "mar_assumption" not in rows[3]["caveats"]


def test_randomised_uses_the_comparative_verb():
    rows = comparison_findings(_change(), None, randomised=True, labels=LABELS,
                               wave_labels=WAVES)
    assert rows[0]["evidence"] == "likely"  # MAR assumption
    assert rows[0]["sentence"].startswith("Being offered the programme likely results in a "
                                          "larger fall in loneliness")


def test_primary_that_cannot_be_estimated_names_its_stand_in():
    c = _change()
    c.loc[0, ["status", "est", "ci_lower", "ci_upper", "stands_in", "message"]] = [
        "not_estimable", float("nan"), float("nan"), float("nan"), "complete_case",
        "the model did not converge; complete_case stands in for the primary method (fiml)"]
    rows = comparison_findings(c, None, randomised=False, labels=LABELS, wave_labels=WAVES)
    p = rows[0]
    assert p["method"] == "complete_case" and "stands_in:complete_case" in p["caveats"]
    assert p["message"].startswith("the model did not converge")
    assert [r["method"] for r in rows[1:]] == ["fiml"]


def test_missing_table_is_one_not_estimable_row():
    rows = comparison_findings(None, None, randomised=False, labels={}, wave_labels={})
    assert len(rows) == 1 and rows[0]["status"] == "not_estimable"


def test_no_clear_difference_is_not_said_as_the_same_change():
    """A reviewer of the demo_controlled report: "+0.54 (-0.01 to 1.10) ... changed by about as
    much in both groups" reads absence of evidence as evidence of no difference."""
    import pandas as pd

    from pipeline.findings.comparison import _sentence

    r = pd.Series({"scale_min": 1, "scale_max": 7, "est": 0.54, "ci_lower": -0.01,
                   "ci_upper": 1.10, "units": "points on the 1-7 scale", "ci_level": 0.95})
    s = _sentence(r, "no_clear", "Community belonging", "About 7 months", randomised=False)
    assert s.startswith("There was no clear difference between the programme and comparison "
                        "groups in the change in community belonging by about 7 months")
    assert "about as much" not in s
