"""Tests for pipeline/attrition/public.py (funder-facing copies of the attrition tables)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.attrition.flow import pattern_summary
from pipeline.attrition.missingness import missingness_table
from pipeline.attrition.public import (
    suppress_comparison,
    suppress_flow,
    suppress_missingness,
    suppress_patterns,
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


def test_suppress_flow_hides_small_and_recoverable_counts():
    flow = pd.DataFrame({"wave": ["T0", "T1", "T2"], "label": LABELS, "responded": [630, 178, 63],
                         "retained": [630, 178, 63], "pct_baseline": [100, 28.3, 10.0],
                         "lost_since_previous": [pd.NA, 452, 120], "rejoined": [pd.NA, 0, 5],
                         "excluded_duplicate": [12, 3, 0]})
    out = suppress_flow(flow, 10)
    assert out.loc[2, "rejoined"] == "<10" and out.loc[1, "excluded_duplicate"] == "<10"
    assert out.loc[2, "lost_since_previous"] == "[c]"  # else 178 - 120 + x = 63 gives x
    assert out.loc[2, "retained"] == 63 and out.loc[1, "rejoined"] == 0


def test_suppress_patterns_blocks_recovery_via_wave_totals(wide):
    out = suppress_patterns(pattern_summary(wide, WAVES), 10).set_index("pattern")
    assert out.loc["T0+T2", "n"] == "<10"  # 8 people; T1 and T2 totals are in the flow
    for members in (["T0+T1", "T0+T1+T2"], ["T0+T2", "T0+T1+T2"]):  # retained at T1, at T2
        assert sum(isinstance(out.loc[m, "n"], str) for m in members) != 1


def test_pattern_suppression_cannot_be_undone_with_the_flow_totals():
    """Regression: with baseline 630 and 178 retained at T1 published, showing 'T0 only' = 447
    would reveal T0+T2 = 630 - 447 - 178 = 5 (patterns excluding T1 add up to 630 - 178)."""
    patterns = pd.DataFrame({"pattern": ["T0 only", "T0+T1", "T0+T2", "T0+T1+T2"],
                             "waves_answered": [1, 2, 2, 3], "n": [447, 120, 5, 58],
                             "pct": [70.95, 19.05, 0.79, 9.21]})
    shown = dict(zip(*suppress_patterns(patterns, 10)[["pattern", "n"]].T.values))
    assert shown["T0+T2"] == "<10"
    assert shown["T0 only"] in ("[c]", "<10"), "T0 only would reveal the hidden T0+T2 count"


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
    assert age["missing_retained"] == 0
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
    assert out.loc[("age", ""), "n_lost"] == "[c]"
    assert out.loc[("age", ""), "smd"] == round(age["smd"], 2)
    assert out.loc[("age", ""), "pvalue"] == float(f"{age['pvalue']:.2g}")
    assert out.loc[("age", ""), "mean_lost"] == round(age["mean_lost"], 2)


def test_one_retained_public_comparison_shows_nothing_about_that_person(wide):
    """Audit case c04a: nothing about the one person retained may reach funders."""
    w = _one_retained(wide)
    out = suppress_comparison(retained_vs_lost(w, "T2", PRED, ["gender"]), 10)
    for c in ("mean_retained", "sd_retained", "pct_retained", "smd", "pvalue"):
        assert (out[c] == "[c]").all(), c
    age = out[out["variable"] == "age"].iloc[0]
    assert age["mean_retained"] != w.iloc[0]["age"] and age["n_retained"] == "<10"
    assert np.isfinite(float(age["mean_lost"]))  # the lost group (629 people) is described
