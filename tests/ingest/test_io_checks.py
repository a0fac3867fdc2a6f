"""Cross-file checks: wrong cohort, same file twice, changed id format, shifted coding, dates,
unknown text answers."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from io_helpers import FIXTURES

from pipeline.errors import InputFileError
from pipeline.ingest import (
    check_coding_shift,
    check_dates,
    check_id_format,
    check_id_overlap,
    check_same_file,
    check_text_answers,
    raise_problems,
)

BASE = [f"SP-{k:04d}" for k in range(1, 101)]


def test_id_overlap_ok_returns_share():
    assert check_id_overlap(
        BASE, BASE[:40] + ["SP-9999"], file="T1.csv", wave_id="T1"
    ) == pytest.approx(40 / 41)


def test_id_overlap_refuses_another_cohort_with_numbers():
    other = [f"SP-{k:04d}" for k in range(500, 560)] + BASE[:5]
    with pytest.raises(InputFileError) as exc:
        check_id_overlap(BASE, other, file="T1.csv", wave_id="T1")
    msg = str(exc.value)
    assert (
        "only 5 of wave T1's 65 participant ids (8%)" in msg
        and "(100 ids)" in msg
        and "T1.csv" in msg
    )


def test_id_overlap_threshold_is_configurable():
    check_id_overlap(
        BASE,
        BASE[:5] + ["X"] * 1 + [f"Z{k}" for k in range(60)],
        file="f",
        wave_id="T1",
        threshold=0.05,
    )


def test_same_file_for_two_waves_is_refused(tmp_path):
    a = tmp_path / "T1.csv"
    shutil.copy(FIXTURES / "csv_utf8.csv", a)
    b = tmp_path / "T2_copy.csv"
    shutil.copy(FIXTURES / "csv_utf8.csv", b)
    with pytest.raises(
        InputFileError,
        match=r"wave T1 \(T1.csv\) and wave T2 \(T2_copy.csv\) have identical content",
    ):
        check_same_file([("T0", FIXTURES / "csv_pipe.csv"), ("T1", a), ("T2", b)])


def test_different_files_pass(tmp_path):
    check_same_file(
        [
            ("T0", FIXTURES / "csv_pipe.csv"),
            ("T1", FIXTURES / "csv_utf8.csv"),
            ("T2", tmp_path / "missing.csv"),
        ]
    )


def test_changed_id_format_refused_with_examples_and_diagnosis():
    follow = [str(k) for k in range(1, 40)]
    with pytest.raises(InputFileError) as exc:
        check_id_format(BASE, follow, file="T1.xlsx", wave_id="T1")
    msg = str(exc.value)
    assert "'SP-0001'" in msg and "'1'" in msg
    assert "numbers match" in msg and "format the id column as Text" in msg


def test_same_id_format_passes_even_with_case_differences():
    check_id_format(BASE, [i.lower() for i in BASE[:30]], file="f", wave_id="T1")


def test_coding_shift_down_is_refused():
    values = pd.Series([0, 1, 2, 3, 4, 5, 6] * 5)
    with pytest.raises(InputFileError) as exc:
        check_coding_shift(values, column="gm1", file="T2.sav", lo=1, hi=7)
    msg = str(exc.value)
    assert (
        "answers run 0-6" in msg and "5 of 35 answers are 0, none is 7" in msg and "T2.sav" in msg
    )


def test_coding_shift_up_is_refused():
    with pytest.raises(InputFileError, match="none is 1"):
        check_coding_shift(pd.Series([2, 3, 4, 8, 8, 8, 5]), column="x", file="f", lo=1, hi=7)


@pytest.mark.parametrize(
    "values",
    [
        [0, 1, 2, 3, 4, 5, 6, 7] * 5,  # zeros but also sevens: out-of-range values, not a shift
        [0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 2, 3, 4],  # a single 0
        ["Agree", "Disagree", None, "Agree", "Agree", "Agree"],  # labels: not numbers yet
        [0, 0, 1],  # too few answers to judge
    ],
)
def test_not_a_coding_shift(values):
    check_coding_shift(pd.Series(values, dtype=object), column="gm1", file="f", lo=1, hi=7)


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


def test_text_answers_all_listed_with_counts_and_rows():
    df = pd.DataFrame(
        {
            "gm1": ["Agree", "agre", "Strongly agree ", "agre", "5", None, "Not sure"],
            "lon1": ["Often", "Never", "often", None, None, None, None],
            "_source_row": [2, 3, 4, 5, 6, 7, 8],
        }
    )
    problems = check_text_answers(
        df, {"gm1": {"Agree": 6, "Strongly agree": 7}, "lon1": {"Often": 3}}
    )
    assert problems == [
        "column 'gm1': 'Not sure' (1x, rows 8) is not in the label map",
        "column 'gm1': 'agre' (2x, rows 3, 5) is not in the label map",
        "column 'lon1': 'Never' (1x, rows 3) is not in the label map",
    ]
    with pytest.raises(InputFileError, match="3 text answers not in the label maps") as exc:
        raise_problems(
            problems, file="T1.csv", what="text answers not in the label maps", advice="Add them."
        )
    assert str(exc.value).count("\n  - ") == 3


def test_raise_problems_with_none_is_silent():
    raise_problems([], file="f", what="x", advice="y")


def test_text_answers_accept_missing_words_and_inner_spaces():
    """The cleaner reads "n/a", "NA", "-" as missing and ignores inner spacing: the check agrees."""
    import pandas as pd

    from pipeline.ingest import check_text_answers

    df = pd.DataFrame({"gm1": ["n/a", "NA", "-", "Strongly   agree", "Agree strongly"],
                       "_source_row": [2, 3, 4, 5, 6]})
    problems = check_text_answers(df, {"gm1": {"Strongly agree": 7}})
    assert len(problems) == 1 and "Agree strongly" in problems[0] and "rows 6" in problems[0]
