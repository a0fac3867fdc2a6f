"""Long files: REDCap events and plain wave columns; row accounting per (file, wave)."""

from __future__ import annotations

import pandas as pd
import pytest
from io_helpers import FIXTURES

from pipeline.errors import InputFileError
from pipeline.ingest import baseline_carry, read_wave, unassigned_events

REDCAP = FIXTURES / "redcap_long.csv"
EVENTS = {"T0": "baseline_arm_1", "T1": "month_4_arm_1", "T2": "month_7_arm_1"}


def read_event(wave: str, cols=("completed_at", "gm1", "gm2", "eq_vas")):
    return read_wave(
        REDCAP,
        wave_id=wave,
        id_column="participant_id",
        expected_columns=list(cols),
        event=EVENTS[wave],
    )


def test_only_the_events_rows_are_returned():
    r = read_event("T1")
    assert set(r.data["redcap_event_name"]) == {"month_4_arm_1"}
    assert list(r.data["participant_id"]) == ["SP-0001", "SP-0002", "SP-0003"]
    assert r.meta["event_counts"] == {"baseline_arm_1": 5, "month_4_arm_1": 4, "month_7_arm_1": 2}


def test_repeating_instrument_row_dropped_and_logged():
    r = read_event("T1")
    dropped = r.log[r.log["action"] == "row_dropped"]
    assert list(dropped["row"]) == [4] and "repeating" in dropped["issue"].iloc[0]
    assert r.meta["n_rows_read"] == 4 == len(r.data) + r.n_dropped


def test_accounting_over_all_waves_of_the_file():
    results = [read_event(w) for w in EVENTS]
    assert sum(r.meta["n_rows_read"] for r in results) == results[0].meta["n_rows_file"] == 11
    assert unassigned_events(results[0].meta["event_counts"], list(EVENTS.values())) == []


def test_unassigned_events_are_reported():
    assert unassigned_events({"a": 3, "b": 1}, ["a"]) == [
        "event 'b' has 1 row(s) but no wave is configured with event: 'b'"
    ]


def test_unknown_event_is_refused_with_suggestion():
    with pytest.raises(InputFileError, match="did you mean 'month_4_arm_1'"):
        read_wave(
            REDCAP,
            wave_id="T1",
            id_column="participant_id",
            expected_columns=["gm1"],
            event="month4_arm_1",
        )


def test_redcap_file_without_event_config_is_refused():
    with pytest.raises(InputFileError, match="REDCap longitudinal export holding 3 events"):
        read_wave(REDCAP, wave_id="T1", id_column="participant_id", expected_columns=["gm1"])


def test_baseline_variables_are_carried_to_follow_up_rows():
    base = read_event("T0", cols=("age", "gender", "gm1"))
    follow = read_wave(
        REDCAP,
        wave_id="T1",
        id_column="participant_id",
        expected_columns=["gm1"],
        event=EVENTS["T1"],
    )
    carried = baseline_carry(follow.data, base.data, "participant_id", ["age", "gender"])
    b = base.data.set_index("participant_id")
    for _, row in carried.iterrows():
        assert row["age"] == b.loc[row["participant_id"], "age"]
        assert row["gender"] == b.loc[row["participant_id"], "gender"]
    assert list(carried["gm1"]) == list(follow.data["gm1"])


def test_baseline_carry_keeps_present_values_and_skips_duplicate_baseline_ids():
    event = pd.DataFrame({"id": ["a", "b", "c"], "age": [None, "50", None]})
    base = pd.DataFrame({"id": ["a", "b", "c", "c"], "age": ["30", "40", "1", "2"]})
    out = baseline_carry(event, base, "id", ["age"])
    assert list(out["age"].fillna("-")) == ["30", "50", "-"]


def test_plain_wave_column():
    r = read_wave(
        FIXTURES / "long_wave_column.csv",
        wave_id="T1",
        id_column="participant_id",
        expected_columns=["gm1"],
        wave_column="wave",
    )
    assert len(r.data) == 4 and list(r.data["_source_row"]) == [8, 9, 10, 11]
    assert r.meta["n_rows_other_waves"] == 6


def test_blank_wave_values_are_refused(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("participant_id,wave,gm1\nA,T0,1\nB,,2\n,,\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"1 row\(s\) have no value in 'wave' \(rows 3\)"):
        read_wave(
            p,
            wave_id="T0",
            id_column="participant_id",
            expected_columns=["gm1"],
            wave_column="wave",
        )


def test_empty_rows_in_long_file_are_skipped_not_dropped(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("participant_id,wave,gm1\nA,T0,1\n,,\nB,T1,2\n", encoding="utf-8")
    r = read_wave(
        p, wave_id="T0", id_column="participant_id", expected_columns=["gm1"], wave_column="wave"
    )
    assert list(r.log["action"]) == ["skipped"] and r.meta["n_empty_rows_file"] == 1
    assert r.meta["n_rows_read"] == len(r.data) == 1


def test_missing_event_column():
    with pytest.raises(InputFileError, match="no column 'visit'"):
        read_wave(
            REDCAP,
            wave_id="T1",
            id_column="participant_id",
            expected_columns=["gm1"],
            event="x",
            event_column="visit",
        )
