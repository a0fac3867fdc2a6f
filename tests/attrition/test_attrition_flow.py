"""Tests for pipeline/attrition/flow.py (participant flow, response patterns)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.attrition.flow import participant_flow, pattern_summary, responded
from pipeline.errors import DataError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
WAVES = ["T0", "T1", "T2"]
LABELS = ["Pathway entry", "About 4 months", "6-9 months"]


def _tiny() -> pd.DataFrame:
    return pd.DataFrame({
        "pid": list("abcdef"), "age": [20, 30, 40, 50, 60, 70],
        "responded_T0": True,
        "responded_T1": [True, True, False, True, False, False],
        "responded_T2": [True, False, False, False, True, False],
        "belonging_T0": [1.0, 2, np.nan, 4, 5, 6],
    })


def test_participant_flow_hand_counts():
    qc = pd.DataFrame({
        "wave": ["T0", "T1", "T1", "T2", "T2"],
        "issue": ["duplicate id: kept row 3 (more complete)", "id not seen at baseline (T0)",
                  "missing id", "value out of range", "Duplicate submission"],
        "action": ["row_dropped", "row_dropped", "row_dropped", "set_missing", "row_dropped"],
    })
    f = participant_flow(_tiny(), qc, WAVES, LABELS).set_index("wave")
    assert f["retained"].tolist() == [6, 3, 2]
    assert f.loc["T1", "pct_baseline"] == pytest.approx(50.0)
    assert f.loc["T1", "lost_since_previous"] == 3 and f.loc["T2", "lost_since_previous"] == 2
    assert f.loc["T2", "rejoined"] == 1  # person e skipped T1, answered T2
    assert pd.isna(f.loc["T0", "lost_since_previous"])
    assert f.loc["T0", "excluded_duplicate"] == 1 and f.loc["T2", "excluded_duplicate"] == 1
    assert f.loc["T1", "excluded_not_in_baseline"] == 1 and f.loc["T1", "excluded_missing_id"] == 1
    assert f["excluded_other"].sum() == 0  # the set_missing row is not an exclusion
    assert f.loc["T1", "label"] == "About 4 months"


def test_participant_flow_responded_from_long():
    long = pd.DataFrame({"pid": ["a", "b", "x", "a"], "wave": ["T1", "T1", "T1", "T0"]})
    f = participant_flow(_tiny(), None, WAVES, long=long).set_index("wave")
    assert f.loc["T1", "responded"] == 3 and f.loc["T1", "retained"] == 3


def test_missing_responded_column_names_wave():
    with pytest.raises(DataError, match="responded_T2"):
        participant_flow(_tiny().drop(columns="responded_T2"), None, WAVES)
    with pytest.raises(DataError, match="responded_T9"):
        responded(_tiny(), "T9")


def test_qc_log_without_action_column():
    with pytest.raises(DataError, match="'action'"):
        participant_flow(_tiny(), pd.DataFrame({"wave": [], "issue": []}), WAVES)


def test_pattern_summary_counts_and_zero_rows():
    p = pattern_summary(_tiny(), WAVES).set_index("pattern")
    assert p["n"].to_dict() == {"T0 only": 2, "T0+T1": 2, "T0+T2": 1, "T0+T1+T2": 1}
    pw = pattern_summary(pd.read_csv(FIX / "wide_attrition.csv"), WAVES)
    assert pw["n"].sum() == 630 and pw["pct"].sum() == pytest.approx(100)


def test_merged_patterns_categories():
    from pipeline.attrition.flow import merged_patterns
    waves = ["T0", "T1", "T2", "T3"]
    wide = pd.DataFrame({"responded_T1": [1, 1, 1, 0, 0, 1], "responded_T2": [1, 1, 0, 0, 1, 0],
                         "responded_T3": [1, 0, 0, 0, 0, 1]}).astype(bool)
    m = merged_patterns(pattern_summary(wide, waves), waves, {"T1": "About 4 months"})
    assert m["category"].tolist() == ["completed_all", "dropped_after_T2", "dropped_after_T1",
                                      "dropped_after_T0", "other"]
    assert m["n"].tolist() == [1, 1, 1, 1, 2] and m["n"].sum() == len(wide)
    assert m.loc[2, "label"] == "Dropped out after about 4 months"
    assert set(m.loc[4, "members"].split(";")) == {"T0+T2", "T0+T3", "T0+T1+T3", "T0+T2+T3"}


def test_flow_counts_rules_and_empty_rows_but_not_rows_no_wave_takes():
    """Issue 13: rows dropped by exclude_if rules and rows without answers get their own reasons;
    rows of REDCap events no wave uses are not people excluded at entry."""
    from pipeline.attrition.flow import FILE_LEVEL_ISSUES, _exclusions
    from pipeline.clean.link import FILE_LEVEL_ISSUES as CLEAN_FILE_LEVEL

    assert FILE_LEVEL_ISSUES == CLEAN_FILE_LEVEL
    log = pd.DataFrame({
        "wave": ["T0"] * 4 + ["T1"],
        "issue": ["excluded by rule 'Finished == 0' (Finished = 0)",
                  "event not used (dose_1_arm_1)", "event not used (dose_2_arm_1)",
                  "no answers (0 of 12 items answered)", "duplicate id: kept row 3 (later)"],
        "action": ["row_dropped"] * 5})
    ex = _exclusions(log, ["T0", "T1"])
    assert ex.loc["T0", "by_rule"] == 1 and ex.loc["T0", "no_answers"] == 1
    assert ex.loc["T0", "other"] == 0 and ex.loc["T1", "duplicate"] == 1
    plain = _exclusions(log.iloc[[4]], ["T0", "T1"])
    assert "by_rule" not in plain.columns and "no_answers" not in plain.columns
