"""pipeline.healthcare.sentences: plain words with the recall period, verbs by the evidence
grade of the log rate ratio, no counts of people."""

from __future__ import annotations

import math

import pandas as pd

from pipeline.healthcare.sentences import change_sentence, log_grade, sentences_table

WAVES = {"T0": "pathway entry", "T1": "about 4 months"}


def _change(ratio, lo, hi, status="ok"):
    base = dict(outcome="gp", label="GP visits in the last 3 months", method="glmm",
                status=status)
    return pd.DataFrame([
        {**base, "quantity": "mean_count", "wave": "T0", "estimate": 2.1, "ci_lower": math.nan,
         "ci_upper": math.nan},
        {**base, "quantity": "mean_count", "wave": "T1", "estimate": 2.1 * ratio,
         "ci_lower": math.nan, "ci_upper": math.nan},
        {**base, "quantity": "rate_ratio", "wave": "T1", "estimate": ratio, "ci_lower": lo,
         "ci_upper": hi}])


def _med(rr, lo, hi, status="ok"):
    return pd.DataFrame([dict(analysis="c", label="GP chain", outcome="gp",
                              effect="total_indirect", rate_ratio=rr, ci_lower=lo, ci_upper=hi,
                              status=status, message="")])


def _table(change, med=None):
    med = med if med is not None else pd.DataFrame(columns=["effect", "status"])
    return sentences_table(change, med, WAVES, {"c": "rise in group memberships (T0 to T1)"},
                           {"gp": "GP visits in the last 3 months"}, 0.95)


def test_a_fall_in_words_with_the_period():
    t = _table(_change(0.81, 0.70, 0.94))
    assert t["sentence"].tolist() == [
        "GP visits in the last 3 months likely decreased from 2.1 at pathway entry to 1.7 at "
        "about 4 months on average (rate ratio 0.81, 95% CI 0.70 to 0.94)."]
    assert t["evidence"].tolist() == ["likely"]


def test_interval_including_one_is_no_clear_change():
    s = _table(_change(1.05, 0.9, 1.2))["sentence"].iloc[0]
    assert "showed no clear change from 2.1" in s


def test_grade_on_log_scale():
    assert log_grade(0.8, 0.7, 0.9, ()) == "clear"
    assert log_grade(1.2, 1.1, 1.3, ("single_group",)) == "likely"
    assert log_grade(0.8, 0.7, 1.1, ()) == "no_clear"
    assert log_grade(float("nan"), 0.7, 0.9, ()) == "not_estimable"


def test_mediation_sentence_and_three_decimals_near_one():
    t = _table(_change(0.81, 0.70, 0.94), _med(0.93, 0.865, 0.9996))
    s = t[t["kind"] == "mediation"]["sentence"].iloc[0]
    assert s.startswith("One point more rise in group memberships (T0 to T1) likely went with "
                        "fewer GP visits in the last 3 months through the mediators")
    assert "95% CI 0.8650 to 0.9996" in s


def test_not_estimable_mediation_says_why():
    m = _med(math.nan, math.nan, math.nan, status="not_estimable")
    m["message"] = "only 9 people have every variable"
    t = _table(_change(0.81, 0.70, 0.94), m)
    assert "could not be estimated: only 9 people" in t["sentence"].iloc[-1]


def test_change_sentence_not_estimable():
    assert change_sentence("GP visits", 1, 1, 1, 1, 1, "entry", "about 4 months", 0.95,
                           "not_estimable") == (
        "The change in GP visits to about 4 months could not be estimated.")


def _byarm(rrr, lo, hi, status="ok"):
    base = dict(outcome="gp", label="GP visits in the last 3 months", method="glmm",
                role="primary", wave="T1", status=status, n_people=240)
    return pd.DataFrame([
        {**base, "quantity": "ratio_of_rate_ratios", "arm": "Programme vs Usual care",
         "estimate": rrr, "ci_lower": lo, "ci_upper": hi},
        {**base, "quantity": "rate_ratio", "arm": "Usual care", "estimate": 0.95,
         "ci_lower": 0.8, "ci_upper": 1.1},
        {**base, "quantity": "rate_ratio", "arm": "Programme", "estimate": 0.95 * rrr,
         "ci_lower": 0.6, "ci_upper": 0.9},
        {**base, "method": "complete_case", "role": "sensitivity",
         "quantity": "ratio_of_rate_ratios", "arm": "Programme vs Usual care",
         "estimate": 0.5, "ci_lower": 0.3, "ci_upper": 0.7}])


def test_by_arm_sentence_says_how_much_more_it_fell_and_that_it_was_not_randomised():
    t = sentences_table(_change(0.8, 0.7, 0.9), _med(1, 0.9, 1.1).iloc[0:0], WAVES, {}, {},
                        0.95, _byarm(0.79, 0.63, 0.99), randomised=False)
    (s,) = t.loc[t["kind"] == "comparison", "sentence"]
    assert s.startswith("GP visits in the last 3 months likely fell by 21% more in Programme "
                        "than in Usual care from pathway entry to about 4 months")
    assert "ratio of rate ratios 0.79, 95% CI 0.63 to 0.99" in s
    assert "Usual care rate ratio 0.95; Programme rate ratio 0.75" in s
    assert s.endswith("not randomised: accounting for measured differences only).")
    assert "240" not in s  # no counts of people
    row = t[t["kind"] == "comparison"].iloc[0]
    assert (row["effect"], row["evidence"], row["wave"]) == ("ratio_of_rate_ratios", "likely",
                                                             "T1")


def test_by_arm_sentence_no_clear_rise_and_randomised():
    t = sentences_table(_change(0.8, 0.7, 0.9), _med(1, 0.9, 1.1).iloc[0:0], WAVES, {}, {},
                        0.95, _byarm(1.1, 0.8, 1.5), randomised=True)
    (s,) = t.loc[t["kind"] == "comparison", "sentence"]
    assert "showed no clear difference in change between Programme and Usual care" in s
    assert "not randomised" not in s
    t = sentences_table(_change(0.8, 0.7, 0.9), _med(1, 0.9, 1.1).iloc[0:0], WAVES, {}, {},
                        0.95, _byarm(1.3, 1.1, 1.5), randomised=True)
    (s,) = t.loc[t["kind"] == "comparison", "sentence"]
    assert "likely rose by 30% more in Programme than in Usual care" in s
    t = sentences_table(_change(0.8, 0.7, 0.9), _med(1, 0.9, 1.1).iloc[0:0], WAVES, {}, {},
                        0.95, _byarm(math.nan, math.nan, math.nan, "not_estimable"))
    (s,) = t.loc[t["kind"] == "comparison", "sentence"]
    assert s.startswith("The difference between the arms in the change in GP visits in the")
    assert s.endswith("could not be estimated.")


def test_without_a_comparison_group_no_by_arm_sentences():
    t = sentences_table(_change(0.8, 0.7, 0.9), _med(1, 0.9, 1.1).iloc[0:0], WAVES, {}, {}, 0.95)
    assert "comparison" not in set(t["kind"])


def test_only_the_primary_mediation_row_speaks_and_names_its_method():
    mi = _med(0.90, 0.82, 0.97).assign(method="mi", role="primary")
    cc = _med(1.02, 0.9, 1.1).assign(method="complete_case", role="sensitivity")
    t = _table(_change(0.81, 0.70, 0.94), pd.concat([cc, mi], ignore_index=True))
    said = t[t["kind"] == "mediation"]["sentence"].tolist()
    assert len(said) == 1 and said[0].endswith("(rate ratio 0.90, 95% CI 0.82 to 0.97; "
                                               "multiple imputation).")
    old = _table(_change(0.81, 0.70, 0.94), _med(0.90, 0.82, 0.97))  # no method column
    assert old["sentence"].iloc[-1].endswith("; complete cases).")
