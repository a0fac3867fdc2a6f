"""pipeline.comparison.sentences: what the design can show, balance, the difference."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.comparison.sentences import balance_sentence, design_sentence, sentences_table


def _change(est=-0.6, lo=-1.0, hi=-0.2, status="ok") -> pd.DataFrame:
    base = dict(outcome="loneliness", wave="T1", method="fiml", role="primary",
                units="points on the 3–9 UCLA-3 sum", scale_min=3.0, scale_max=9.0,
                ci_level=0.95, status=status, message="")
    return pd.DataFrame([
        base | dict(estimand="difference in change", arm="Programme - Usual care", est=est,
                    ci_lower=lo, ci_upper=hi),
        base | dict(estimand="change within arm", arm="Usual care", est=-0.2, ci_lower=-0.5,
                    ci_upper=0.1),
        base | dict(estimand="change within arm", arm="Programme", est=-0.8, ci_lower=-1.0,
                    ci_upper=-0.6)])


def _table(change, randomised=False):
    return sentences_table(change, None, randomised=randomised, programme="Programme",
                           reference="Usual care", adjust_for=("age", "gender"),
                           labels={"loneliness": "Loneliness (UCLA-3)"},
                           wave_labels={"T0": "Entry", "T1": "About 4 months"}, first_wave="T0")


def test_design_sentence_says_what_the_design_can_and_cannot_show():
    r = design_sentence(True, "Programme", "Usual care", ())
    assert "randomised" in r and "effect of being offered Programme" in r
    n = design_sentence(False, "Programme", "Usual care", ("age", "gender"))
    assert "not randomised" in n and "differed at entry" in n
    assert "measured differences only (age, gender)" in n


def test_difference_sentence_grades_and_never_claims_cause_when_not_randomised():
    t = _table(_change())
    s = t.loc[t["kind"] == "difference", "sentence"].iloc[0]
    assert t.loc[t["kind"] == "difference", "evidence"].iloc[0] == "likely"
    assert "likely a larger fall in the programme group" in s and "caused" not in s
    assert "−0.60 points on the 3–9 UCLA-3 sum (95% CI −1.00 to −0.20)" in s
    assert "Usual care −0.20; Programme −0.80" in s
    r = _table(_change(), randomised=True)
    assert "caused by being offered" in r.loc[r["kind"] == "difference", "sentence"].iloc[0]


def test_no_clear_difference_and_not_estimable():
    t = _table(_change(est=-0.1, lo=-0.5, hi=0.3))
    assert "no clear difference between the groups" in t["sentence"].iloc[-1]
    t = _table(_change(status="not_estimable").assign(message="too few"))
    assert "could not be estimated (too few)" in t["sentence"].iloc[-1]


def test_sentences_print_no_counts_of_people():
    text = " ".join(_table(_change())["sentence"])
    assert not re.search(r"\b(n\s*=|\d+ people|\d+ participants)", text)


def test_balance_sentence_names_the_largest_difference():
    b = pd.DataFrame({"variable": ["age", "loneliness_T0"], "level": ["", ""],
                      "smd_before": [0.12, -0.35], "smd_after": [0.0, 0.01],
                      "weighting": "overlap", "status": "ok"})
    s = balance_sentence(b, {"loneliness_T0": "Loneliness at entry"})
    assert "differed most in loneliness at entry" in s and "−0.35" in s
    assert "After overlap weighting the largest standardised difference was 0.01" in s
