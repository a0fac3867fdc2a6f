"""Plain-language sentences (pipeline/mediation/sentences.py): one test per branch."""

from __future__ import annotations

import pandas as pd
from mediation_helpers import reference_spec

from pipeline.mediation.sentences import describe_mediation, fmt
from pipeline.mediation.table import status_frame

SPEC = reference_spec()


def table(est, lo, hi, n=178, method="complete_case"):
    return pd.DataFrame([{"effect_type": "indirect_specific", "label": "ind_123", "est": est,
                          "ci_lower": lo, "ci_upper": hi, "n": n, "method": method}])


OK = status_frame("chain", "complete_case", "ok")


def test_positive_interval_excluding_zero():
    s = describe_mediation(table(0.21, 0.13, 0.32), OK, SPEC, conf=0.95, warn_n=30)
    assert ("greater change in group memberships (T0 to T1) was associated with higher quality "
            "of life (T1)") in s
    assert "belonging (T1) \u2192 social support (T1) \u2192 loneliness (T1)" in s
    assert "indirect effect 0.21, 95% CI 0.13 to 0.32" in s
    assert "not proof that one causes the other" in s
    assert "178 participants with complete answers" in s


def test_negative_interval_excluding_zero():
    s = describe_mediation(table(-0.5, -0.9, -0.1), OK, SPEC, conf=0.95, warn_n=30)
    assert "associated with lower quality of life" in s and "\u22120.50" in s


def test_interval_spanning_zero_is_never_called_an_effect():
    s = describe_mediation(table(0.05, -0.02, 0.13), OK, SPEC, conf=0.95, warn_n=30)
    assert "did not show a clear indirect association" in s
    assert "effect" not in s and "was associated" not in s
    assert "interval includes zero" in s and "\u22120.020" in s


def test_small_sample_and_mi_wording():
    s = describe_mediation(table(0.3, 0.1, 0.6, n=25), OK, SPEC, conf=0.95, warn_n=30)
    assert "based on only 25 people" in s
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
