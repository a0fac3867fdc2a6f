"""Completion dates: day/month order decided from the data (pipeline.ingest.dates)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.config import Wave
from pipeline.errors import InputFileError
from pipeline.ingest.dates import check_dates, read_wave_dates
from pipeline.ingest.result import ReadResult, log_frame


def test_dates_iso_and_excel_values():
    s = pd.Series(
        ["2024-03-01", "2024-03-02T10:15:00", None, pd.Timestamp("2024-04-01")], dtype=object
    )
    r = check_dates(s, column="completed_at", file="f")
    assert list(r.dates.dt.strftime("%Y-%m-%d").fillna("-")) == [
        "2024-03-01",
        "2024-03-02",
        "-",
        "2024-04-01",
    ]
    assert r.unparsed == {}


def test_dates_day_first_decided_from_data():
    r = check_dates(pd.Series(["03/04/2024", "25/04/2024"]), column="d", file="f")
    assert r.order == "dmy" and r.dates.iloc[0] == pd.Timestamp("2024-04-03")


def test_dates_month_first_decided_from_data():
    r = check_dates(pd.Series(["03/04/2024", "04/25/2024"]), column="d", file="f")
    assert r.order == "mdy" and r.dates.iloc[0] == pd.Timestamp("2024-03-04")


def test_mixed_day_and_month_first_is_refused():
    with pytest.raises(
        InputFileError, match="mixed orders: day first .*25/04/2024.* month first .*04/25/2024"
    ):
        check_dates(pd.Series(["25/04/2024", "04/25/2024"]), column="d", file="f")


def test_ambiguous_dates_refused_unless_order_configured():
    s = pd.Series(["03/04/2024", "05/06/2024"])
    with pytest.raises(InputFileError, match="date_order"):
        check_dates(s, column="d", file="f")
    r = check_dates(s, column="d", file="f", dayfirst=True)
    assert r.dates.iloc[1] == pd.Timestamp("2024-06-05") and "undecidable" in r.notes[0]


def test_configured_order_contradicted_by_data_is_refused():
    with pytest.raises(InputFileError, match="can only be day first"):
        check_dates(pd.Series(["25/04/2024"]), column="d", file="f", dayfirst=False)


def test_unparseable_dates_are_returned_not_lost():
    r = check_dates(pd.Series(["2024-02-30", "soon", "2024-01-01"]), column="d", file="f")
    assert r.unparsed == {0: "2024-02-30", 1: "soon"}
    assert "2 value(s) are not dates" in r.notes[-1]


def test_iso_mixed_with_decided_order_is_read_and_noted():
    r = check_dates(pd.Series(["2024-01-02", "25/12/2023"]), column="d", file="f")
    assert r.dates.iloc[1] == pd.Timestamp("2023-12-25") and any("mixed ISO" in n for n in r.notes)


def test_two_digit_years():
    r = check_dates(pd.Series(["25/12/23"]), column="d", file="f")
    assert r.dates.iloc[0] == pd.Timestamp("2023-12-25")


@given(
    st.lists(
        st.dates(
            min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2060-12-31").date()
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from(["iso", "dmy", "mdy"]),
)
def test_dates_round_trip_in_any_decidable_format(dates, fmt):
    anchor = pd.Timestamp("2024-12-25").date()  # day 25 makes the order decidable
    dates = [*dates, anchor]
    pattern = {"iso": "%Y-%m-%d", "dmy": "%d/%m/%Y", "mdy": "%m/%d/%Y"}[fmt]
    r = check_dates(pd.Series([d.strftime(pattern) for d in dates]), column="d", file="f")
    assert list(r.dates.dt.date) == dates
    assert r.order == fmt


def test_read_wave_dates_logs_unparseable_values_and_stores_iso_text():
    data = pd.DataFrame({"done": ["13/02/2024", "soon", None], "_source_row": [2, 3, 4]})
    r = ReadResult(data=data, log=log_frame(), meta={})
    read_wave_dates(r, Wave("T0", "t0.csv", 0, date_column="done"), file="t0.csv")
    assert r.data["done"].iloc[0] == "2024-02-13 00:00:00" and pd.isna(r.data["done"].iloc[1])
    logged = r.log[["row", "original_value", "action"]].values.tolist()
    assert logged == [[3, "soon", "set_missing"]]
    assert r.meta["date_order"] == "dmy" and any("not dates" in n for n in r.meta["notes"])


@pytest.mark.parametrize(
    "value",
    ["0019-05-01", "2300-01-01", "13/05/0019", "13/01/2300", "1677-09-20", "2262-04-12"],
)
def test_typed_dates_outside_pandas_range_are_set_missing_with_reason(value):
    r = check_dates(pd.Series([value, "2024-01-25"]), column="d", file="f")
    assert pd.isna(r.dates.iloc[0]) and r.dates.iloc[1] == pd.Timestamp("2024-01-25")
    assert r.unparsed == {0: value} and "out of the supported range" in r.reasons[0]


def test_dates_at_the_edges_of_pandas_range_are_read():
    r = check_dates(pd.Series(["1677-09-22", "2262-04-11"]), column="d", file="f")
    assert r.unparsed == {} and r.dates.notna().all()


def test_stored_dates_outside_pandas_range_are_set_missing_and_logged():
    import datetime as dt

    data = pd.DataFrame(
        {
            "done": [dt.datetime(19, 5, 1), dt.datetime(2024, 3, 1), dt.date(2300, 1, 1)],
            "_source_row": [2, 3, 4],
        }
    )
    r = ReadResult(data=data, log=log_frame(), meta={})
    read_wave_dates(r, Wave("T0", "t0.sav", 0, date_column="done"), file="t0.sav")
    assert r.data["done"].tolist()[1] == "2024-03-01 00:00:00"
    assert r.data["done"].isna().tolist() == [True, False, True]
    logged = r.log[["row", "column", "original_value", "issue", "action"]].values.tolist()
    assert [x[0] for x in logged] == [2, 4]
    assert logged[0][2] == "0019-05-01 00:00:00" and logged[1][2].startswith("2300-01-01")
    assert all("out of the supported range" in x[3] and x[4] == "set_missing" for x in logged)


def test_date_order_errors_give_example_rows():
    rows = pd.Series([7, 12])
    with pytest.raises(InputFileError, match=r"03/04/2024 \(row 7\), 05/06/2024 \(row 12\)"):
        check_dates(pd.Series(["03/04/2024", "05/06/2024"]), column="d", file="f", rows=rows)
    with pytest.raises(InputFileError, match=r"25/04/2024 \(row 7\).*04/25/2024 \(row 12\)"):
        check_dates(pd.Series(["25/04/2024", "04/25/2024"]), column="d", file="f", rows=rows)
    with pytest.raises(InputFileError, match=r"25/04/2024 \(row 7\)"):
        check_dates(pd.Series(["25/04/2024"]), column="d", file="f", dayfirst=False, rows=rows[:1])


def test_read_wave_dates_names_rows_in_the_date_order_error():
    data = pd.DataFrame({"done": ["03/04/2024", "05/06/2024"], "_source_row": [4, 9]})
    r = ReadResult(data=data, log=log_frame(), meta={})
    with pytest.raises(InputFileError, match=r"\(row 4\).*\(row 9\)"):
        read_wave_dates(r, Wave("T0", "t0.csv", 0, date_column="done"), file="t0.csv")
