"""Tests for pipeline.clean.timeorder: swapped waves and follow-ups completed before
baseline (issue 13.8)."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.clean.timeorder import (
    WaveDates,
    check_swapped_waves,
    check_time_order,
    swapped_waves_problem,
)
from pipeline.config import Wave
from pipeline.errors import InputFileError

WAVES = [Wave(id="T0", file="data/raw/t0.csv", months=0, date_column="done"),
         Wave(id="T1", file="data/raw/t1.xlsx", months=4, date_column="done")]


def _dates(start: str, n: int, step_days: int = 3) -> pd.Series:
    return pd.Series(pd.date_range(start, periods=n, freq=f"{step_days}D"))


def _ids(n: int, offset: int = 0) -> pd.Series:
    return pd.Series([f"sp{k + offset:04d}" for k in range(n)])


def test_swapped_files_are_diagnosed_with_both_files_and_ranges():
    """The real follow-up given as baseline: every shared participant goes back in time."""
    real_t0 = WaveDates("T1", "t0.csv", _ids(100), _dates("2023-01-01", 100))
    real_t1 = WaveDates("T0", "t1.xlsx", _ids(40), _dates("2023-05-01", 40))
    msg = swapped_waves_problem(real_t1, real_t0)
    assert msg.startswith("waves swapped? t0.csv (wave T1, completed 2023-01-01 to ")
    assert "comes before t1.xlsx (wave T0, completed 2023-05-01 to" in msg
    assert "40 of the 40 participants in both waves (100%)" in msg
    assert "config 'waves'" in msg and "max_unmatched_share" in msg
    with pytest.raises(InputFileError, match="waves swapped"):
        check_swapped_waves([real_t1, real_t0])
    check_swapped_waves([real_t0, real_t1])  # the right order passes


def test_an_interim_followup_with_an_earlier_median_is_not_swapped():
    """Rolling recruitment, early export: T1 holds the early recruits only, so its median is
    earlier than T0's, but every participant went forward in time."""
    t0 = WaveDates("T0", "t0.csv", _ids(200), _dates("2023-01-01", 200))
    t1 = WaveDates("T1", "t1.csv", _ids(60), _dates("2023-01-01", 60) + pd.Timedelta(days=120))
    assert t1.dates.median() < t0.dates.median()
    assert swapped_waves_problem(t0, t1) is None


def test_without_shared_ids_dates_alone_decide():
    t0 = WaveDates("T0", "t0.csv", _ids(50), _dates("2023-06-01", 50, 1))
    early = WaveDates("T1", "t1.csv", _ids(50, 500), _dates("2023-01-01", 50, 1))
    assert "of wave T1's dates precede the earliest tenth" in swapped_waves_problem(t0, early)
    overlapping = WaveDates("T1", "t1.csv", _ids(50, 500), _dates("2023-05-20", 50, 1))
    assert swapped_waves_problem(t0, overlapping) is None


def test_waves_without_dates_are_not_judged():
    t0 = WaveDates("T0", "t0.csv", _ids(5), pd.Series([pd.NaT] * 5))
    t1 = WaveDates("T1", "t1.csv", _ids(5), _dates("2020-01-01", 5))
    assert swapped_waves_problem(t0, t1) is None and swapped_waves_problem(t1, t0) is None


def _cleaned():
    base = pd.DataFrame({"pid": ["p1", "p2", "p3"],
                         "date": pd.to_datetime(["2023-02-10", "2023-02-10", None]),
                         "_source_file": "t0.csv", "_source_row": [2, 3, 4]})
    follow = pd.DataFrame({"pid": ["p1", "p2", "p3"],
                           "date": pd.to_datetime(["2023-01-04", "2023-06-01", "2023-01-01"]),
                           "_source_file": "t1.xlsx", "_source_row": [5, 6, 7]})
    raw = {"T0": pd.DataFrame({"id": ["SP-0001", "SP-0002", "SP-0003"], "_source_row": [2, 3, 4]}),
           "T1": pd.DataFrame({"id": ["x", "y", "z", "Sp-0001", "SP-0002", "SP-0003"],
                               "_source_row": [2, 3, 4, 5, 6, 7]})}
    return [base, follow], raw


def test_followup_before_baseline_is_refused_with_the_id_as_written():
    cleaned, raw = _cleaned()
    with pytest.raises(InputFileError) as exc:
        check_time_order(cleaned, raw, waves=WAVES, id_column="id")
    msg = str(exc.value)
    assert msg.startswith("1 follow-up row(s) were completed before the same participant's "
                          "baseline (wave T0): 'Sp-0001' (wave T1 2023-01-04, t1.xlsx row 5 < "
                          "wave T0 2023-02-10, t0.csv row 2)")
    assert "cleaning.time_order: log" in msg


def test_followup_before_baseline_is_logged_per_row_with_time_order_log():
    cleaned, raw = _cleaned()
    log = check_time_order(cleaned, raw, waves=WAVES, id_column="id", mode="log")
    assert len(log) == 1  # p3 has no baseline date: not compared
    row = log.iloc[0]
    assert (row["file"], row["row"], row["pid"], row["wave"], row["column"]) == (
        "t1.xlsx", 5, "p1", "T1", "done")
    assert row["issue"] == "completed before baseline (2023-01-04 < 2023-02-10)"
    assert row["action"] == "flagged"


def test_refusal_lists_at_most_ten_examples():
    n = 14
    base = pd.DataFrame({"pid": [f"p{k}" for k in range(n)], "date": pd.Timestamp("2024-01-01"),
                         "_source_file": "t0.csv", "_source_row": range(2, n + 2)})
    follow = base.assign(date=pd.Timestamp("2023-01-01"), _source_file="t1.xlsx")
    raw = {w: pd.DataFrame({"id": [f"ID{k}" for k in range(n)], "_source_row": range(2, n + 2)})
           for w in ("T0", "T1")}
    with pytest.raises(InputFileError) as exc:
        check_time_order([base, follow], raw, waves=WAVES, id_column="id")
    msg = str(exc.value)
    assert msg.startswith("14 follow-up row(s)") and "'ID9'" in msg and "'ID10'" not in msg
    assert "and 4 more" in msg


def test_in_order_waves_give_an_empty_log():
    cleaned, raw = _cleaned()
    cleaned[1] = cleaned[1].assign(date=pd.Timestamp("2024-01-01"))
    assert check_time_order(cleaned, raw, waves=WAVES, id_column="id").empty
