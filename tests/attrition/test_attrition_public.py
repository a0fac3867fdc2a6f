"""Tests for pipeline/attrition/public.py (funder-facing copies of the attrition tables)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.attrition.missingness import missingness_table
from pipeline.attrition.public import (
    public_flow_and_patterns,
    suppress_comparison,
    suppress_flow,
    suppress_missingness,
)
from pipeline.attrition.retention import retained_vs_lost

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
WAVES = ["T0", "T1", "T2"]
LABELS = ["Pathway entry", "About 4 months", "6-9 months"]
PRED = ["age", "belonging_T0", "qol_T0", "gender"]


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return pd.read_csv(FIX / "wide_attrition.csv")


def _one_retained(wide: pd.DataFrame) -> pd.DataFrame:
    w = wide.assign(responded_T2=False)
    w.loc[w.index[0], "responded_T2"] = True
    return w


DEMO_FLOW = pd.DataFrame({"wave": WAVES, "label": LABELS, "responded": [630, 178, 63],
                          "retained": [630, 178, 63], "pct_baseline": [100, 28.3, 10.0],
                          "lost_since_previous": [pd.NA, 452, 120], "rejoined": [pd.NA, 0, 5],
                          "excluded_duplicate": [12, 3, 0]})
DEMO_PATTERNS = pd.DataFrame({"pattern": ["T0 only", "T0+T1", "T0+T2", "T0+T1+T2"],
                              "waves_answered": [1, 2, 2, 3], "n": [447, 120, 5, 58],
                              "pct": [70.95, 19.05, 0.79, 9.21]})


def test_suppress_flow_hides_small_and_recoverable_counts():
    out = suppress_flow(DEMO_FLOW, 10)
    assert out.loc[2, "rejoined"] == "<10" and out.loc[1, "excluded_duplicate"] == "<10"
    # 178 - lost + x = 63 would give x; lost is shown as the range the others allow
    assert out.loc[2, "lost_since_previous"] == "116-124"
    assert out.loc[2, "retained"] == 63 and out.loc[1, "rejoined"] == 0


def test_flow_and_patterns_protected_together_never_empty():
    """Issue 11: the patterns table was all [c] and the flow hid the 120 lost. With 630
    joined and 178, 63 answering, every pattern count is 'flow count - came back', so each is
    shown as a range (the chart keeps its bars) and the 120 lost as 116-124."""
    flow, pats = public_flow_and_patterns(DEMO_FLOW, DEMO_PATTERNS, 10,
                                          dict(zip(WAVES, LABELS)))
    got = dict(zip(pats["category"], pats["n"]))
    assert got == {"completed_all": "54-62", "dropped_after_T1": "116-124",
                   "dropped_after_T0": "443-451", "other": "<10"}
    assert pats["label"].tolist()[0] == "Answered every wave"
    assert pats["n_min"].tolist()[:3] == [54, 116, 443] and (pats["pct"] == "[c]").all()
    assert flow["retained"].tolist() == [630, 178, 63]
    assert flow.loc[1, "lost_since_previous"] == 452


def test_merged_patterns_shown_when_nothing_small():
    pats = DEMO_PATTERNS.assign(n=[440, 120, 12, 58])
    flow = DEMO_FLOW.assign(retained=[630, 178, 70], responded=[630, 178, 70],
                            lost_since_previous=[pd.NA, 452, 120], rejoined=[pd.NA, 0, 12])
    f, p = public_flow_and_patterns(flow, pats, 10)
    assert p["n"].tolist() == [58, 120, 440, 12]
    assert f.loc[2, "lost_since_previous"] == 120


def test_suppress_missingness_blocks_recovery(wide):
    out = suppress_missingness(missingness_table(wide, ["belonging"], WAVES), 10).set_index("wave")
    assert out.loc["T1", "n_missing"] == "<10"           # 6 missing among 174 responders
    assert out.loc["T1", "n_missing_baseline"] == "[c]"  # else 630 - 174 + x = 462 gives x
    assert out.loc["T1", "n_responders"] == 174 and out.loc["T2", "n_missing"] == 0


def test_suppress_comparison(wide):
    t = retained_vs_lost(wide, "T2", PRED, ["gender"])
    out = suppress_comparison(t, 10).set_index(["variable", "level"])
    nb = out.loc[("gender", "Non-binary / other")]
    assert nb["n_retained"] == "<10" and nb["pct_retained"] == "[c]"
    assert sum(isinstance(v, str) for v in out.loc["gender"]["n_retained"]) >= 2
    age = out.loc[("age", "")]
    assert age["missing_retained"] in (0, "0-7")  # a zero may protect a small missing count
    assert age["mean_retained"] == round(t.loc[0, "mean_retained"], 2)  # rounded, not hidden
    d = pd.DataFrame({"age": [20, 30, 40, 50, 60, 70],
                      "responded_T1": [True, True, False, True, False, False]})
    tiny = suppress_comparison(retained_vs_lost(d, "T1", ["age"]), 10)
    assert tiny.loc[0, "mean_retained"] == "[c]"  # a mean of 3 people is hidden


def test_suppress_comparison_hides_smd_and_test_of_hidden_counts(wide):
    t = retained_vs_lost(wide, "T2", PRED, ["gender"])
    out = suppress_comparison(t, 10).set_index(["variable", "level"])
    g = out.loc["gender"]
    # the Non-binary retained count is hidden: its SMD (with the shown lost share it gives the
    # hidden share back) and the gender test p-value (the exact p pins the counts) are hidden
    assert g.loc["Non-binary / other", "smd"] == "[c]"
    assert (g["pvalue"] == "[c]").all()
    age = t.set_index("variable").loc["age"]
    assert out.loc[("age", ""), "n_lost"] == "562-570"  # the range the others allow
    # a group whose n is hidden has no mean, SD, SMD or p-value published: an attack on a
    # 40-person study solved the means of the two follow-up splits (the same people) for
    # the hidden n (26) and with it the hidden missing count; the SMD and p beside the other
    # group's statistics did the same on a 25-person study
    for c in ("mean_lost", "sd_lost", "smd", "pvalue"):
        assert out.loc[("age", ""), c] == "[c]", c
    assert out.loc[("age", ""), "mean_retained"] == round(age["mean_retained"], 2)


def test_one_retained_public_comparison_shows_nothing_about_that_person(wide):
    """Audit case c04a: nothing about the one person retained may reach funders."""
    w = _one_retained(wide)
    out = suppress_comparison(retained_vs_lost(w, "T2", PRED, ["gender"]), 10)
    for c in ("mean_retained", "sd_retained", "pct_retained", "smd", "pvalue"):
        assert (out[c] == "[c]").all(), c
    age = out[out["variable"] == "age"].iloc[0]
    assert age["mean_retained"] != w.iloc[0]["age"] and age["n_retained"] in ("<10", "0-1")
    assert np.isfinite(float(age["mean_lost"]))  # the lost group (629 people) is described


def _comparison(rows, sizes):
    """A retained-vs-lost table for one follow-up: rows (variable, level, n_r, n_l, miss_r,
    miss_l), numeric rows with level "" and a mean; ``sizes`` = (retained, lost)."""
    out = []
    for var, lev, nr, nl, mr, ml in rows:
        out.append({"followup_wave": "T1", "wave": "T1", "variable": var, "level": lev,
                    "n_retained": nr, "mean_retained": np.nan if lev else 50.0,
                    "sd_retained": np.nan if lev else 10.0,
                    "pct_retained": 100.0 * nr / (sizes[0] - mr) if lev else np.nan,
                    "n_lost": nl, "mean_lost": np.nan if lev else 52.0,
                    "sd_lost": np.nan if lev else 11.0,
                    "pct_lost": 100.0 * nl / (sizes[1] - ml) if lev and sizes[1] > ml
                    else np.nan, "smd": 0.1, "test": "chi2" if lev else "welch_t",
                    "pvalue": 0.5, "missing_retained": mr, "missing_lost": ml})
    return pd.DataFrame(out)


def test_missing_counts_are_one_cell_on_every_level_row():
    """Issue h6 (vacc_prepost): the missing counts repeat on each level row; the protection
    hid one copy and published the other. Every copy now reads the same."""
    t = _comparison([("sex", "Female", 229, 101, 1, 1), ("sex", "Male", 286, 98, 1, 1),
                     ("age", "", 516, 200, 0, 0)], (516, 200))
    out = suppress_comparison(t, 10)
    sex = out[out["variable"] == "sex"]
    for g in ("retained", "lost"):
        assert sex[f"missing_{g}"].nunique() == 1 and sex[f"missing_{g}"].iloc[0] != 1
        # the shares' denominator (people with a value) is hidden with its missing count
        assert (sex[f"pct_{g}"] == "[c]").all()


def test_small_groups_share_one_protection():
    """12 entrants, 3 retained (the flow shows "<10"): no count below 10 is printed, as a
    number or as a range ("2-3"), and the missing counts read the same on every row."""
    t = _comparison([("age", "", 2, 9, 1, 0), ("gender", "Man", 1, 3, 0, 0),
                     ("gender", "Woman", 2, 6, 0, 0), ("gm_T0", "", 2, 9, 1, 0)], (3, 9))
    out = suppress_comparison(t, 10)
    for c in ("n_retained", "n_lost", "missing_retained", "missing_lost"):
        for v in out[c]:
            assert v in ("<10", "[c]", 0) or (not isinstance(v, str) and v >= 10), (c, v)
    assert (out["mean_retained"] == "[c]").all() and (out["mean_lost"] == "[c]").all()
