"""The pooled report's table of the across-scheme tests (pipeline/report/pooled_tests.py): one
row per pooled model, the headline test as the pooled wing marked it with its df, p and scaling
factor, the other tests beside it, a verdict in words, numbers as numfmt prints them, and a
model not tested with its reason (small counts hidden)."""

from __future__ import annotations

import pandas as pd
from pooled_report_helpers import inputs, settings, small_counts

from pipeline.report.pooled_sections import PooledInputs
from pipeline.report.pooled_tests import DASH, named_test, scheme_tests_section, scheme_tests_table

HEAD = ("Model", "Test", "\u03c7\u00b2 (Q)", "df", "p", "Scaling factor", "Other tests",
        "Verdict")


def _rows() -> dict[str, tuple]:
    t = scheme_tests_table(inputs(), settings())
    assert t.header == HEAD and t.key == "pooled_tests"
    return {r[0]: r for r in t.rows}


def test_the_mechanism_row_leads_with_the_scaled_test_and_the_others_beside_it():
    r = _rows()["The mechanism (GM \u2192 QoL)"]
    assert r[1:6] == ("Scaled likelihood-ratio (MLR)", "33.81", "10", "<0.001", "0.72")
    assert r[6] == ("Likelihood-ratio (ML): \u03c7\u00b2 = 24.26, df = 10, p = 0.0069; Robust "
                    "Wald (MLR): \u03c7\u00b2 = 46.48, df = 10, p < 0.001")
    assert r[7] == "Paths differ across schemes"


def test_a_verdict_the_other_tests_do_not_share_is_said():
    r = _rows()["Cross-lagged paths (CLPM)"]
    assert r[1:6] == ("Scaled likelihood-ratio (MLR)", "31.87", "20", "0.045", "0.90")
    assert r[7] == "Paths differ across schemes (not every test agrees)"  # LR p = 0.096


def test_a_model_not_tested_gives_its_reason_and_no_numbers():
    r = _rows()["Cross-lagged paths (RI-CLPM)"]
    assert r[1:7] == (DASH,) * 6
    assert r[7] == "Not tested: an RI-CLPM needs at least 3 waves that every scheme has"


def test_change_rows_are_the_q_tests_of_the_pooled_waves_only():
    rows = _rows()
    r = rows["Change in social support to about 4 months (T1)"]
    assert r[1:8] == ("Cochran's Q (heterogeneity)", "3.26", "1", "0.071", DASH, "I\u00b2 = 69%",
                      "No clear difference")
    assert not any("6-9 months" in k for k in rows)  # T2 was not pooled (one scheme)
    order = list(rows)
    assert order.index("The mechanism (GM \u2192 QoL)") > order.index(
        "Change in quality of life (EQ VAS) to about 4 months (T1)")


def test_the_headline_is_the_marked_row_when_the_scaled_test_failed():
    t = pd.DataFrame({"analysis": ["c"] * 3, "test": ["lr_ml", "lr_scaled_mlr", "wald_mlr"],
                      "groups": [2] * 3, "chisq_diff": [3.0, None, 30.0],
                      "df_diff": [4, 4, 4], "pvalue": [0.56, None, 0.00001],
                      "scaling_factor": [None] * 3, "headline": [False, False, True],
                      "status": ["ok", "not_estimable", "ok"], "message": ["", "cd < 0", ""]})
    inp = PooledInputs(tables={"pooled_mediation_test": t})
    r = scheme_tests_table(inp, settings()).rows[0]
    assert r[1:6] == ("Robust Wald (MLR)", "30.00", "4", "<0.001", DASH)
    assert r[6].startswith("Likelihood-ratio (ML): \u03c7\u00b2 = 3.00, df = 4, p = 0.56")
    assert r[7] == "Paths differ across schemes (not every test agrees)"


def test_a_small_count_in_a_reason_is_hidden_and_no_table_without_tests():
    t = pd.DataFrame({"analysis": ["c"], "test": ["lr_ml"], "headline": [True],
                      "status": ["not_estimable"], "message": ["only 4 people in south; x"]})
    r = scheme_tests_table(PooledInputs(tables={"pooled_mediation_test": t}), settings()).rows[0]
    assert r[7] == "Not tested: only <10 people in south"
    assert scheme_tests_table(PooledInputs(tables={}), settings()) is None
    assert scheme_tests_section(PooledInputs(tables={}), settings()) is None
    text = " ".join(" ".join(r) for r in scheme_tests_table(inputs(), settings()).rows)
    assert small_counts(text, 10) == []


def test_test_labels():
    assert named_test("lr_ml") == "Likelihood-ratio (ML)"
    assert named_test("wald_mlr") == "Robust Wald (MLR)"
    assert named_test("something_else") == "Something else"
