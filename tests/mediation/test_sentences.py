"""Plain-language sentences (pipeline/mediation/sentences.py): one test per branch.

Rules (issue 11): total, direct, total indirect and serial effects with units; the n with the
outcome; the verb follows the evidence (pipeline.wording, GRADE guidance 26); the design
caveat (same-wave mediators: associations, not effects).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
from mediation_helpers import reference_spec

from pipeline.mediation.sentences import describe_mediation, fmt
from pipeline.mediation.table import status_frame

SPEC = dataclasses.replace(reference_spec(), scale_ranges={
    "group_memberships": (1, 7, "mean"), "qol": (0, 100, "mean")})


def table(est, lo, hi, n=178, method="complete_case"):
    return pd.DataFrame([{"effect_type": "indirect_specific", "label": "ind_123", "est": est,
                          "ci_lower": lo, "ci_upper": hi, "n": n, "method": method}])


def full_table(method="fiml", n=630, n_outcome=174):
    rows = [("total", "total", 2.17, 0.21, 4.09), ("direct", "cp", 0.96, -1.20, 3.11),
            ("indirect_total", "ind_total", 1.21, 0.12, 2.41),
            ("indirect_specific", "ind_123", 0.0666, -0.0156, 0.191),
            ("indirect_specific", "ind_1", 0.05, -0.81, 0.92)]
    return pd.DataFrame([{"effect_type": e, "label": lab, "est": est, "ci_lower": lo,
                          "ci_upper": hi, "n": n, "n_outcome": n_outcome, "method": method}
                         for e, lab, est, lo, hi in rows])


OK = status_frame("chain", "complete_case", "ok")


def test_total_direct_total_indirect_and_serial_with_units_and_n_with_outcome():
    st = status_frame("chain", "fiml", "ok")
    s = describe_mediation(full_table(), st, SPEC, conf=0.95, warn_n=30)
    assert "630 people, 174 of them with quality of life measured" in s
    assert "(per point on its 1\u20137 scale) was likely associated with higher quality" in s
    assert "total 2.2 points on the 0\u2013100 EQ VAS (95% CI 0.2 to 4.1)" not in s  # no range
    assert "total 2.2 points on the 0\u2013100 quality of life scale (item mean) (95% CI 0.2 " \
           "to 4.1)" in s
    assert "direct (not through the mediators) 1.0 (95% CI \u22121.2 to 3.1; no clear " \
           "association)" in s
    assert "total indirect (through all mediators) 1.2 (95% CI 0.1 to 2.4)" in s
    assert "\u2192 loneliness (T1)) 0.07 (95% CI \u22120.02 to 0.19; no clear" in s
    assert "measured at the same wave" in s and "associations, not effects" in s
    assert "assumes that they resembled similar people who stayed" in s


def test_positive_interval_excluding_zero():
    s = describe_mediation(table(0.21, 0.13, 0.32), OK, SPEC, conf=0.95, warn_n=30)
    assert ("greater change in group memberships (T0 to T1) (per point on its 1\u20137 scale) "
            "was likely associated with higher quality of life (T1)") in s
    assert "belonging (T1) \u2192 social support (T1) \u2192 loneliness (T1)" in s
    assert "0.21 points on the 0\u2013100 quality of life scale (item mean) (95% CI 0.13 to " \
           "0.32)" in s
    assert "associations, not effects" in s
    assert "178 participants with complete answers" in s


def test_negative_interval_excluding_zero():
    s = describe_mediation(table(-0.5, -0.9, -0.1), OK, SPEC, conf=0.95, warn_n=30)
    assert "associated with lower quality of life" in s and "\u22120.50" in s


def test_interval_spanning_zero_is_never_called_an_effect():
    s = describe_mediation(table(0.05, -0.02, 0.13), OK, SPEC, conf=0.95, warn_n=30)
    assert "showed no clear association with" in s
    assert "was associated" not in s and "effect" not in s.replace("not effects", "")
    assert "no clear association)" in s and "(95% CI \u22120.02 to 0.13" in s


def test_small_sample_and_mi_wording():
    s = describe_mediation(table(0.3, 0.1, 0.6, n=25), OK, SPEC, conf=0.95, warn_n=30)
    assert "Only 25 people had the outcome" in s and "may be associated" in s
    s = describe_mediation(table(0.3, 0.1, 0.6, n=630, method="mi"), OK, SPEC, conf=0.95, warn_n=30)
    assert s.startswith("Using all 630 participants (missing answers multiply imputed")
    s = describe_mediation(table(0.3, 0.1, 0.6, n=630, method="fiml"), OK, SPEC, conf=0.95,
                           warn_n=30)
    assert s.startswith("Using everyone with any answers (630 people; those who left")


def test_not_estimable_reports_the_reason_and_no_number():
    st = status_frame("chain", "complete_case", "not_estimable", "only 15 complete cases.")
    s = describe_mediation(pd.DataFrame(), st, SPEC, conf=0.95, warn_n=30)
    assert "could not be estimated: only 15 complete cases." in s
    assert fmt(-0.0123) == "\u22120.0123" and fmt(1.234) == "1.23"
