"""Tests for pipeline/attrition/sentences.py (messages and the plain-language summary)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.attrition.flow import participant_flow
from pipeline.attrition.retention import retained_vs_lost
from pipeline.attrition.sentences import (
    attrition_summary,
    ipw_message,
    notable_rule,
    short_label,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
WAVES = ["T0", "T1", "T2"]
LABELS = ["Pathway entry", "About 4 months", "6-9 months"]
PRED = ["age", "belonging_T0", "qol_T0", "gender"]


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return pd.read_csv(FIX / "wide_attrition.csv")


def _summary(flow, comparisons=None, labels=None, min_cell=10, notable_smd=0.2):
    return attrition_summary(flow, comparisons, labels, min_cell=min_cell,
                             notable_smd=notable_smd)


def test_summary_wording_follows_evidence(wide):
    flow = participant_flow(wide, None, WAVES, LABELS)
    comp = {w: retained_vs_lost(wide, w, PRED, ["gender"]) for w in ["T1", "T2"]}
    text = _summary(flow, comp, {"belonging_T0": "community belonging"})
    assert text.startswith("Of 630 people who joined, 174 (28%) answered at about 4 months and "
                           "59 (9%) at 6-9 months.")
    assert "were older on average" in text and "higher community belonging" in text
    assert "qol_T0" not in text  # SMD 0.11 / 0.07: not notable
    assert "were similar at entry" in _summary(flow, {"T1": comp["T1"].assign(smd=0.05)})
    assert "qol_T0" in _summary(flow, comp, notable_smd=0.05)  # the threshold is the setting
    assert "0.2" in notable_rule(0.2)
    # the report's "Who stayed and who left" follows a paragraph with these numbers
    rest = attrition_summary(flow, comp, {"belonging_T0": "community belonging"},
                             min_cell=10, notable_smd=0.2, joined=False)
    assert rest.startswith("Compared with those who did not, those who answered at about 4 ")
    assert text.endswith(rest) and "joined" not in rest and "174" not in rest


def test_summary_says_standardised_difference_in_words():
    """Funders read "standardised difference", with a true minus sign, explained once; never
    the abbreviation SMD."""
    flow = pd.DataFrame({"wave": ["T0", "T1"], "label": ["Entry", "Later"],
                         "retained": [400, 100], "pct_baseline": [100.0, 25.0]})
    comp = pd.DataFrame({"variable": ["qol_T0", "age"], "level": ["", ""],
                         "n_retained": [100, 100], "n_lost": [300, 300],
                         "pct_retained": np.nan, "pct_lost": np.nan,
                         "mean_retained": [60.0, 60.0], "mean_lost": [71.0, 55.0],
                         "smd": [-0.9, 0.5], "missing_retained": [0, 0],
                         "missing_lost": [0, 0], "sd_retained": [10.0, 10.0],
                         "sd_lost": [11.0, 10.0], "pvalue": [0.01, 0.02]})
    text = _summary(flow, {"T1": comp}, {"qol_T0": "quality of life"})
    assert "SMD" not in text and "-0.90" not in text
    assert "(mean 60.0 vs 71.0; standardised difference \u22120.90)" in text
    assert "(mean 60 vs 55 years; standardised difference 0.50)" in text
    assert text.count("standardised difference is the gap") == 1 and text.endswith("Cohen 1988).")
    assert "Numbers are withheld" not in text  # nothing withheld: nothing to explain
    similar = _summary(flow, {"T1": comp.assign(smd=0.05)})
    assert "is the gap" not in similar  # no difference shown: nothing to explain


def test_summary_suppresses_small_counts():
    flow = pd.DataFrame({"wave": ["T0", "T1"], "label": ["Entry", "Later"],
                         "retained": [40, 7], "pct_baseline": [100.0, 17.5]})
    text = _summary(flow)
    assert "<10 answered at" in text
    assert "17" not in text and " 7 " not in text


def test_summary_without_follow_up():
    flow = pd.DataFrame({"wave": ["T0"], "label": ["Entry"], "retained": [40],
                         "pct_baseline": [100.0]})
    assert _summary(flow) == "40 people joined; no follow-up wave is configured."
    assert attrition_summary(flow, min_cell=10, notable_smd=0.2, joined=False) == ""


def test_nobody_retained_summary(wide):
    w = wide.assign(responded_T2=False)
    flow = participant_flow(w, None, WAVES, LABELS)
    text = _summary(flow, {"T2": retained_vs_lost(w, "T2", ["age"])})
    assert "0 (0%) at 6-9 months" in text and "could not be compared" in text


def test_one_retained_summary(wide):
    """Audit case c04a: nothing about the one person retained may reach funders."""
    w = wide.assign(responded_T2=False)
    w.loc[w.index[0], "responded_T2"] = True
    flow = participant_flow(w, None, WAVES, LABELS)
    comp = {wv: retained_vs_lost(w, wv, PRED, ["gender"]) for wv in ["T1", "T2"]}
    text = _summary(flow, comp, {"belonging_T0": "community belonging"})
    assert "Too few people answered at 6-9 months to compare them with those who did not." in text
    assert "gender" not in text.split("6-9 months.")[-1] and "difference 1" not in text
    assert "Compared with those who did not, those who answered at about 4 months" in text


def test_summary_numbers_too_small_without_smd():
    flow = pd.DataFrame({"wave": ["T0", "T1"], "label": ["Entry", "Later"],
                         "retained": [400, 100], "pct_baseline": [100.0, 25.0]})
    comp = pd.DataFrame({"variable": ["gender", "qol_T0"], "level": ["Other", ""],
                         "n_retained": [4, 6], "n_lost": [2, 290], "pct_retained": [4.0, np.nan],
                         "pct_lost": [0.7, np.nan], "mean_retained": [np.nan, 71.0],
                         "mean_lost": [np.nan, 60.0], "smd": [0.21, 0.55],
                         "missing_retained": [0, 94], "missing_lost": [0, 10],
                         "sd_retained": [np.nan, 10.0], "sd_lost": [np.nan, 11.0],
                         "pvalue": [0.5, 0.01]})
    text = _summary(flow, {"T1": comp}, {"qol_T0": "quality of life"})
    assert text.count("Numbers are withheld where fewer than 10 people are behind them") == 1
    assert "more often had gender 'Other' (numbers withheld to protect privacy)" in text
    assert "higher quality of life at entry (numbers withheld to protect privacy)" in text
    assert "0.21" not in text and "71" not in text and "0.55" not in text


def test_ipw_message():
    assert ipw_message(False, "model says no.", "T1", stabilised=True, n_weighted=0,
                       n_truncated=0, n_missing=0) == "IPW not computed: model says no."
    msg = ipw_message(True, "Model ok.", "T2", stabilised=False, n_weighted=50, n_truncated=2,
                      n_missing=3)
    assert msg == ("Unstabilised inverse-probability-of-retention weights for wave T2 (50 people; "
                   "2 truncated). Model ok. 3 retained people with a missing predictor get no "
                   "weight.")


def test_short_label():
    assert short_label("Loneliness (UCLA-3)") == "loneliness"
    assert short_label("WEMWBS score") == "WEMWBS score"


def test_summary_gives_no_share_of_a_count_hidden_to_protect_another():
    """Issue 11: a share printed for a level whose count the public table hides (to protect a
    small one) times the group size gives the count back."""
    flow = pd.DataFrame({"wave": ["T0", "T1"], "label": ["Entry", "Later"],
                         "retained": [630, 178], "pct_baseline": [100.0, 28.3]})
    comp = pd.DataFrame({"variable": "gender", "level": ["Man", "Non-binary", "Woman"],
                         "n_retained": [59, 4, 115], "n_lost": [145, 19, 288],
                         "pct_retained": [33.1, 2.2, 64.6], "pct_lost": [32.1, 4.2, 63.7],
                         "mean_retained": np.nan, "mean_lost": np.nan, "sd_retained": np.nan,
                         "sd_lost": np.nan, "smd": [0.3, -0.1, 0.02], "pvalue": 0.5,
                         "missing_retained": 0, "missing_lost": 0})
    text = _summary(flow, {"T1": comp}, {})
    assert "more often had gender 'Man' (numbers withheld to protect privacy)" in text
    assert "33%" not in text


def test_a_withheld_difference_is_not_placed_by_its_size():
    """Found by an attack on a 40-person study: the differences were listed largest first,
    so a withheld one listed before "SMD 0.50" had an SMD of at least 0.50. Withheld ones
    now come after every shown one, in the table's order."""
    flow = pd.DataFrame({"wave": ["T0", "T1"], "label": ["Entry", "Later"],
                         "retained": [400, 100], "pct_baseline": [100.0, 25.0]})
    comp = pd.DataFrame({"variable": ["qol_T0", "age"], "level": ["", ""],
                         "n_retained": [96, 100], "n_lost": [290, 300],
                         "pct_retained": np.nan, "pct_lost": np.nan,
                         "mean_retained": [71.0, 60.0], "mean_lost": [60.0, 55.0],
                         "smd": [0.9, 0.5], "missing_retained": [4, 0],
                         "missing_lost": [10, 0], "sd_retained": [10.0, 10.0],
                         "sd_lost": [11.0, 10.0], "pvalue": [0.01, 0.02]})
    text = _summary(flow, {"T1": comp}, {"qol_T0": "quality of life"})
    assert "quality of life at entry (numbers withheld to protect privacy)" in text
    assert text.index("older on average") < text.index("quality of life at entry")
