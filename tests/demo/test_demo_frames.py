"""pipeline.demo.frames: rows in order of completion date, partial duplicates next to their
complete copy, column types as each file format holds them."""

from __future__ import annotations

import pandas as pd

import pipeline.demo as demo


def test_rows_are_in_date_order(study):
    for w, frame in study.frames.items():
        dates = pd.to_datetime(frame["completed_at"]).dropna()
        assert dates.is_monotonic_increasing, w


def test_partial_duplicates_sit_next_to_their_complete_copy(study):
    d = study.defects
    dups = d[d["defect"] == "duplicate_submission"]
    assert len(dups) == 5
    for _, r in dups.iterrows():
        frame = study.frames[r["wave"]]
        ids = frame["participant_id"]
        i = r["data_row"] - 1
        if "just before" in r["note"]:
            assert ids.iloc[i + 1] == r["participant_id"]
        else:  # submitted two days after the complete copy
            first = frame[ids == r["participant_id"]].index[0]
            gap = pd.Timestamp(frame.loc[i, "completed_at"]) - pd.Timestamp(
                frame.loc[first, "completed_at"]
            )
            assert first < i and gap == pd.Timedelta(days=2)


def test_column_types_follow_the_file_format(study):
    t0, t1, t2 = (study.frames[w] for w in demo.WAVES)
    assert t0["completed_at"].dtype == object and str(t0["age"].dtype) == "Int64"
    assert t0["gm1"].dtype == object
    assert str(t1["completed_at"].dtype) == "datetime64[s]" and str(t1["gm1"].dtype) == "Int64"
    assert t2["gm1"].dtype == float and t2["gender"].dtype == float
    assert list(t0.columns[:4]) == ["participant_id", "completed_at", "age", "gender"]
    assert "age" not in t1.columns and "gender" not in t1.columns
