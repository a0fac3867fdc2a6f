"""pipeline.findings.healthcare: rows of the healthcare wing's tables, graded and compared on
the log scale (rate ratios: 1 = no change), with what stands in for the primary method."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from pipeline.findings.healthcare import healthcare_findings
from pipeline.findings.table import frame


def _change(ratio=(0.74, 0.63, 0.87), cc=(1.10, 1.02, 1.20), status="ok"):
    base = dict(outcome="gp", construct="gp_visits", label="GP visits in the last 3 months",
                quantity="rate_ratio", wave="T1", pvalue=0.001, n_people=398, n_rows=313,
                status=status, message="random-intercept NB2 mixed model")
    return pd.DataFrame([
        {**base, "method": "glmm", "model": "negbin_glmm", "estimate": ratio[0],
         "ci_lower": ratio[1], "ci_upper": ratio[2]},
        {**base, "method": "complete_case", "model": "negbin", "estimate": cc[0],
         "ci_lower": cc[1], "ci_upper": cc[2]},
        {**base, "quantity": "mean_count", "method": "glmm", "model": "negbin_glmm",
         "estimate": 2.1, "ci_lower": math.nan, "ci_upper": math.nan}])


def _mediation():
    rows = [dict(analysis="gp_chain", label="GP chain", outcome="gp", effect=e,
                 path=f"x -> {e}", rate_ratio=rr, ci_lower=lo, ci_upper=hi, n=298, conf=0.95,
                 status="ok", message="percentile bootstrap")
            for e, rr, lo, hi in (("direct", 0.94, 0.79, 1.11), ("ind_m1", 0.96, 0.88, 1.05),
                                  ("total_indirect", 0.93, 0.86, 0.99),
                                  ("total", 0.87, 0.75, 1.01))]
    return pd.DataFrame(rows)


SENTENCES = pd.DataFrame([
    dict(kind="change", outcome="gp", analysis="", wave="T1", effect="rate_ratio",
         evidence="likely", sentence="GP visits ... fell."),
    dict(kind="mediation", outcome="gp", analysis="gp_chain", wave="", effect="total_indirect",
         evidence="likely", sentence="One point more ...")])


def test_change_rows_graded_on_the_log_scale(settings):
    rows = {r["finding_id"]: r for r in healthcare_findings(_change(), None, SENTENCES,
                                                            settings)}
    p, cc = rows["healthcare.gp.T1"], rows["healthcare.gp.T1@complete_case"]
    assert p["role"] == "primary" and p["evidence"] == "likely"  # a fall, interval below 1
    assert p["sentence"] == "GP visits ... fell." and p["estimate"] == 0.74
    assert "likely decreased" in p["headline"] and "rate ratio 0.74" in p["headline"]
    assert cc["role"] == "sensitivity" and cc["agrees_with_primary"] == "direction_differs"
    assert "stands_in" not in p["caveats"] and "mar_assumption" in p["caveats"]
    frame([p, cc])  # contract columns


def test_interval_including_one_is_no_clear(settings):
    rows = healthcare_findings(_change(ratio=(0.9, 0.75, 1.05), cc=(0.92, 0.7, 1.1)), None,
                               None, settings)
    p = next(r for r in rows if r["role"] == "primary")
    assert p["evidence"] == "no_clear" and "showed no clear change" in p["headline"]
    assert rows[1]["agrees_with_primary"] == "yes"


def test_another_primary_method_is_named(settings):
    s = dataclasses.replace(settings, primary="mi")
    rows = healthcare_findings(_change(), _mediation(), SENTENCES, s)
    p = next(r for r in rows if r["finding_id"] == "healthcare.gp.T1")
    assert "stands_in:glmm" in p["caveats"]
    med = {r["finding_id"]: r for r in rows if r["finding_id"].startswith("healthcare_med")}
    assert set(med) == {f"healthcare_mediation.gp_chain.{e}"
                        for e in ("direct", "total_indirect", "total")}
    ind = med["healthcare_mediation.gp_chain.total_indirect"]
    assert "stands_in:complete_case" in ind["caveats"] and ind["evidence"] == "likely"
    assert ind["sentence"] == "One point more ..." and "stand in for mi" in ind["message"]
    assert med["healthcare_mediation.gp_chain.total"]["evidence"] == "no_clear"


def test_not_estimable_and_absent_tables(settings):
    rows = healthcare_findings(_change(status="not_estimable"), None, None, settings)
    p = next(r for r in rows if r["role"] == "primary")
    assert p["evidence"] == "not_estimable" and "could not be estimated" in p["sentence"]
    assert healthcare_findings(None, None, None, settings) == []
    assert healthcare_findings(pd.DataFrame({"x": [1]}), None, None, settings) == []


def _byarm(rrr=(0.79, 0.64, 0.97), status="ok", adjusted="age, gender"):
    base = dict(outcome="gp", construct="gp_visits", label="GP visits in the last 3 months",
                arm="Programme vs Usual care", wave="T1", model="negbin_glmm",
                adjusted_for=adjusted, pvalue=0.02, n_people=700, n_rows=1500,
                status=status, message="")
    return pd.DataFrame([
        {**base, "quantity": "ratio_of_rate_ratios", "method": "glmm", "estimate": rrr[0],
         "ci_lower": rrr[1], "ci_upper": rrr[2]},
        {**base, "quantity": "ratio_of_rate_ratios", "method": "complete_case",
         "estimate": 0.85, "ci_lower": 0.6, "ci_upper": 1.2},
        {**base, "quantity": "rate_ratio", "arm": "Programme", "method": "glmm",
         "estimate": 0.8, "ci_lower": 0.7, "ci_upper": 0.9}])


def test_ratio_of_rate_ratios_by_arm_with_the_wings_sentence(settings):
    said = pd.concat([SENTENCES, pd.DataFrame([dict(
        kind="comparison", outcome="gp", analysis="", wave="T1",
        effect="ratio_of_rate_ratios", evidence="likely",
        sentence="GP visits likely fell by 21% more in the programme.")])])
    rows = {r["finding_id"]: r for r in healthcare_findings(None, None, said, settings,
                                                            _byarm())}
    assert set(rows) == {"healthcare_comparison.gp.T1",
                         "healthcare_comparison.gp.T1@complete_case"}
    p = rows["healthcare_comparison.gp.T1"]
    assert p["sentence"] == "GP visits likely fell by 21% more in the programme."
    assert "non_randomised" in p["caveats"] and p["estimate"] == 0.79
    assert p["evidence"] in ("likely", "may")  # below 1 on the log scale, not randomised
    cc = rows["healthcare_comparison.gp.T1@complete_case"]
    assert cc["role"] == "sensitivity" and cc["agrees_with_primary"]
    frame(list(rows.values()))


def test_by_arm_model_that_failed_says_so(settings):
    rows = healthcare_findings(None, None, None, settings,
                               _byarm(rrr=(math.nan,) * 3, status="not_estimable"))
    p = next(r for r in rows if r["role"] == "primary")
    assert p["status"] == "not_estimable" and p["evidence"] == "not_estimable"
    assert p["sentence"].startswith("The difference between the groups in the change in gp "
                                    "visits") or "could not be estimated" in p["sentence"]


def test_the_mediation_question_reads_as_words_not_a_model_path():
    """The path column keeps its ASCII arrows for analysts; the funder question has arrows and
    no capitalised label mid-sentence."""
    from pipeline.findings.healthcare import _path_words

    q = _path_words("Group memberships (T0 to T1) -> GP visits (T1), through the mediators")
    assert q == "group memberships (T0 to T1) \u2192 GP visits (T1), through the mediators"
