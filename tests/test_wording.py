"""pipeline.wording: GRADE-26 grades and verbs, CI labels, units, number format.

The grading rule (Santesso et al. 2020, GRADE guidelines 26) is checked on a crafted table with
one row per case: clear, no clear (interval through 0, and 0 on a bound), fragile, design
caveat, not estimable, and two methods pointing opposite ways.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline import wording as w

CRAFTED = pd.DataFrame([
    # case,                est,  lo,    hi,   caveats,                           status, grade
    ("clear_up",           2.0,  0.5,   3.5,  "",                                "ok", "clear"),
    ("clear_down",        -2.0, -3.5,  -0.5,  "holm_adjusted",                   "ok", "clear"),
    ("no_clear",           1.0, -0.5,   2.5,  "single_group",                    "ok", "no_clear"),
    ("zero_on_bound",      1.0,  0.0,   2.0,  "",                                "ok", "no_clear"),
    ("design_caveat",      1.0,  0.2,   1.8,  "single_group;mar_assumption",     "ok", "likely"),
    ("stands_in",          1.0,  0.2,   1.8,  "stands_in:mi",                    "ok", "likely"),
    ("fragile_mnar",       1.0,  0.2,   1.8,  "single_group;fragile_to_mnar",    "ok", "may"),
    ("small_n",           -1.0, -1.8,  -0.2,  ["small_n"],                       "ok", "may"),
    ("not_ok",             1.0,  0.2,   1.8,  "",                 "not_estimable", "not_estimable"),
    ("nan_ci",             1.0,  math.nan, 1.8, "",                    "ok", "not_estimable"),
    # the same contrast by two methods pointing opposite ways: each graded on its own
    ("method_a_up",        0.8,  0.1,   1.5,  "single_group",                    "ok", "likely"),
    ("method_b_down",     -0.8, -1.5,  -0.1,  "single_group;method_disagrees",   "ok", "may"),
], columns=["case", "est", "lo", "hi", "caveats", "status", "grade"])


@pytest.mark.parametrize("row", list(CRAFTED.itertuples(index=False)), ids=list(CRAFTED["case"]))
def test_evidence_grade_on_crafted_table(row):
    assert w.evidence_grade(row.est, row.lo, row.hi, row.caveats, row.status) == row.grade


def test_grades_are_in_the_vocabulary():
    assert set(CRAFTED["grade"]) <= set(w.EVIDENCE)


@pytest.mark.parametrize("grade,est,verb", [
    ("clear", 2, "increased"), ("clear", -2, "decreased"),
    ("likely", 2, "likely increased"), ("likely", -2, "likely decreased"),
    ("may", 2, "may have increased"), ("may", -1, "may have decreased"),
    ("no_clear", 2, "showed no clear change"), ("not_estimable", 2, "could not be estimated"),
])
def test_change_verb_follows_the_certainty(grade, est, verb):
    assert w.change_verb(grade, est) == verb


def test_opposite_directions_get_opposite_verbs():
    a, b = CRAFTED.set_index("case").loc[["method_a_up", "method_b_down"]].itertuples()
    assert w.change_verb(a.grade, a.est) == "likely increased"
    assert w.change_verb(b.grade, b.est) == "may have decreased"


@pytest.mark.parametrize("grade,est,phrase", [
    ("clear", 0.3, "was associated with higher"),
    ("likely", -0.3, "was likely associated with lower"),
    ("may", 0.3, "may be associated with higher"),
    ("no_clear", 0.3, "showed no clear association with"),
])
def test_association_phrase(grade, est, phrase):
    assert w.association_phrase(grade, est) == phrase


def test_effect_verbs_are_grade26():
    assert [w.effect_verb(g) for g in ("clear", "likely", "may")] == [
        "results in", "likely results in", "may result in"]


@pytest.mark.parametrize("args,label", [
    ((0.95,), "95% CI"),
    ((0.95, "none", 2), "95% CI"),
    ((0.95, "holm", 2), "95% CI, Holm-adjusted over 2 contrasts"),
    ((0.9, "bonferroni", 1), "90% CI, Bonferroni-adjusted over 1 contrast"),
    ((0.95, "holm", 40, "paths"), "95% CI, Holm-adjusted over 40 paths"),
])
def test_ci_label_says_what_the_interval_is(args, label):
    assert w.ci_label(*args) == label


def test_score_range_sum_vs_mean():
    assert w.score_range((1, 3), 3, "sum") == (3, 9)
    assert w.score_range((1, 7), 4, "mean") == (1, 7)


@pytest.mark.parametrize("label,lo,hi,score,text", [
    ("Loneliness (UCLA-3)", 3, 9, "sum", "points on the 3\u20139 UCLA-3 sum"),
    ("Quality of life (EQ VAS)", 0, 100, "mean", "points on the 0\u2013100 EQ VAS"),
    ("Community belonging", 1, 7, "mean",
     "points on the 1\u20137 community belonging scale (item mean)"),
])
def test_units_text_names_the_scale_range(label, lo, hi, score, text):
    assert w.units_text(label, lo, hi, score) == text


def test_numbers():
    assert w.fmt_num(-0.004, 2) == "0.00"
    assert w.fmt_num(-1.234, 2) == "\u22121.23"
    assert w.fmt_num(1.25, 1, signed=True) == "+1.2"
    assert w.decimals_for(3, 9) == 2 and w.decimals_for(0, 100) == 1
    assert w.fmt_ci(-0.5, 1.5, 2, w.ci_label(0.95, "holm", 2)) == (
        "95% CI \u22120.50 to 1.50, Holm-adjusted over 2 contrasts")
    assert w.fmt_ci(0.26, 0.67, 2, "95% CI, Bonferroni-adjusted over 2 contrasts (holm p-values)"
                    ) == "95% CI 0.26 to 0.67, Bonferroni-adjusted over 2 contrasts"
    assert w.fmt_ci(1, 2, 1, "95% CI (unadjusted)") == "95% CI (unadjusted) 1.0 to 2.0"


def test_caveat_cells():
    assert w.split_caveats("a; b;;a") == ["a", "b"]
    assert w.split_caveats(math.nan) == []
    assert w.join_caveats(["single_group", "mar_assumption", "single_group"]) == (
        "single_group;mar_assumption")


def test_p_values():
    assert [w.fmt_p(p) for p in (0.0004, 0.0042, 0.042, 0.2, float("nan"))] == [
        "p < 0.001", "p = 0.004", "p = 0.04", "p = 0.20", "p = NA"]


def test_label_in_a_sentence_lowers_only_a_capitalised_word():
    """One rule for every wing (attrition, change, findings, report): 'About 4 months' ->
    'about 4 months'; acronyms and wave ids stay as written."""
    from pipeline.wording import lower_first

    assert lower_first("About 4 months") == "about 4 months"
    assert lower_first("Quality of life (EQ VAS)") == "quality of life (EQ VAS)"
    for kept in ("FU1 (PHQ)", "T2", "EQ VAS", "6-9 months", "x"):
        assert lower_first(kept) == kept


@pytest.mark.parametrize("label,lo,hi,score,text", [
    ("Mental wellbeing (SWEMWBS, metric score)", 7, 35, "lookup",
     "points on the 7\u201335 SWEMWBS metric score"),
    ("Wellbeing", 7, 35, "lookup", "points on the 7\u201335 wellbeing metric score"),
    ("Health-related quality of life (EQ-5D-5L index)", -0.285, 1, "index",
     "points on the \u22120.285\u20131 EQ-5D-5L index"),
    ("Health (EQ-5D-5L)", -0.285, 1, "index", "points on the \u22120.285\u20131 EQ-5D-5L index"),
    ("Health status", 0, 1, "index", "points on the 0\u20131 health status index"),
])
def test_units_text_for_table_scores(label, lo, hi, score, text):
    assert w.units_text(label, lo, hi, score) == text


def test_an_index_gets_three_decimals():
    assert w.decimals_for(-0.285, 1, score="index") == 3
    assert w.decimals_for(-0.285, 1, [0.052, 0.01, 0.09], score="index") == 3
    assert w.decimals_for(-0.285, 1) == 2  # without the score kind: as before
    assert w.decimals_for(7, 35, score="lookup") == 1


@pytest.mark.parametrize("lo, hi, score, values, dec", [
    (3, 9, "sum", (), 1),            # UCLA-3 sum: 1 decimal (was 2 by its short range)
    (3, 9, "sum", (-0.6, -0.9, -0.3), 2),   # all under 1: two significant digits
    (3, 9, "sum", (-1.3, -2.1, -1.1), 1),
    (7, 35, "lookup", (1.2, 0.5, 1.9), 1),  # SWEMWBS metric: 0.5 still has one digit
    (1, 7, "mean", (0.31, 0.12, 0.5), 2),   # an item mean on a short scale
    (0, 100, "mean", (2.4, 1.1, 3.7), 1),   # the 0-100 EQ VAS (one item, "mean")
    (-0.285, 1, "index", (0.052, 0.02, 0.08), 3),
    (3, 9, None, (), 2),             # kind unknown: the range rule, as before
])
def test_decimals_fit_the_score_kind(lo, hi, score, values, dec):
    assert w.decimals_for(lo, hi, values, score) == dec


def test_mid_note_says_the_value_and_its_source():
    ref = ("Maheswaran H, Weich S, Powell J, Stewart-Brown S. Evaluating the responsiveness "
           "of the WEMWBS. Health Qual Life Outcomes 2012;10:156.")
    assert w.mid_note(3, "preset", ref) == (
        "a change of at least 3 points in the better direction (the minimal important "
        "difference; Maheswaran et al. 2012)")
    assert w.mid_note(1, "config", "set in the study config (scales.x.mid)").endswith(
        "at least 1 point in the better direction (the minimal important difference, set by "
        "the study)")
    assert w.mid_note(float("nan"), "preset", ref) == ""
    assert w.short_citation("set in the study config (scales.x.mid)") == ""


def test_an_interval_that_leaves_out_zero_never_prints_a_zero_bound():
    """A funder-eyed read: "the interval leaves out zero: 0.29 points (95% CI 0.00 to 0.57)"
    read as a contradiction. Only the bound near zero gets more decimals (at most 4): the
    estimate and the other bound keep the row's, so nothing of a hidden group size comes back
    (a reviewer's attack: an estimate of -58/26 printed to 3 decimals fits only n = 26)."""
    assert w.bound_decimals(0.004, 0.57, 2) == (3, 2)
    assert w.bound_decimals(-4.46, -0.004, 1) == (1, 3)
    assert w.bound_decimals(-0.4, 6.2, 1) == (1, 1)  # no bound near zero: as the row
    # includes zero: a bound that would print as zero keeps its sign ("-0.03 to 5.1", not
    # "0.0 to 5.1", which reads as an interval that stops at zero)
    assert w.bound_decimals(-0.034, 5.1, 1) == (2, 1)
    assert w.fmt_ci(-0.0045, 0.45, 2) == "95% CI \u22120.004 to 0.45"
    assert w.bound_decimals(0.0, 0.45, 2) == (2, 2)  # exactly zero: as the row
    assert w.bound_decimals(0.00001, 0.6, 2) == (4, 2)
    assert w.fmt_ci(0.004, 0.57, 2) == "95% CI 0.004 to 0.57"
    assert w.finding_decimals({"estimate": -58 / 26, "ci_lower": -4.46, "ci_upper": -0.004,
                               "scale_min": 0, "scale_max": 100}) == 1
