"""Tests for pipeline.clean.cleaner (clean_wave, duplicates, linking, wide table, accounting)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.clean.cleaner import (
    LOG_COLUMNS,
    check_accounting,
    clean_wave,
    concat_logs,
    link_waves,
    to_wide,
)
from pipeline.clean.pseudonym import normalise_id, pseudonymise
from pipeline.config import Covariate, Scale
from pipeline.errors import DataError, InputFileError

AGREE = {"Strongly disagree": 1, "Disagree": 2, "Agree": 6, "Strongly agree": 7}
SCALES = {
    "sc": Scale(
        key="sc",
        items=("a", "b", "c"),
        range=(1.0, 7.0),
        reverse=("c",),
        label_map=AGREE,
        label_map_name="agree",
        min_items=2,
    ),
}
COVS = {
    "age": Covariate(key="age", column="age", type="numeric", range=(16, 110)),
    "gender": Covariate(key="gender", column="gender", type="categorical", levels=("Woman", "Man")),
}
SALT = "test-salt"


def raw_wave(ids, a, b=None, c=None, dates=None, file="w.csv", age=None, gender=None):
    n = len(ids)
    return pd.DataFrame(
        {
            "pid_raw": ids,
            "a": a,
            "b": b if b is not None else ["4"] * n,
            "c": c if c is not None else ["4"] * n,
            "age": age if age is not None else ["40"] * n,
            "gender": gender if gender is not None else ["Woman"] * n,
            "done": dates if dates is not None else ["2024-01-01"] * n,
            "_source_file": file,
            "_source_row": np.arange(2, n + 2),
        }
    )


def clean(raw, wave="T0", index=0, baseline=True):
    return clean_wave(
        raw,
        wave_id=wave,
        wave_index=index,
        months=float(index * 4),
        id_column="pid_raw",
        scales=SCALES,
        covariates=COVS,
        date_column="done",
        salt=SALT,
        is_baseline=baseline,
    )


def pid(x):
    return pseudonymise(normalise_id(pd.Series([x])), SALT).iloc[0]


def test_output_columns_and_types():
    cw = clean(raw_wave(["A1", "B2"], ["Agree", "7"], c=["1", "Strongly agree"]))
    assert list(cw.data.columns) == [
        "pid",
        "wave",
        "wave_index",
        "months",
        "date",
        "age",
        "gender",
        "a",
        "b",
        "c",
        "_source_file",
        "_source_row",
    ]
    assert cw.data["a"].tolist() == [6, 7]
    assert cw.data["c"].tolist() == [7, 1]  # reverse keyed 8 - x
    assert list(cw.log.columns) == LOG_COLUMNS
    assert cw.data["pid"].tolist() == [pid("A1"), pid("B2")]
    assert cw.data["date"].dtype.kind == "M"


def test_missing_id_rows_dropped_and_logged():
    cw = clean(raw_wave(["A1", "  ", None, ""], ["1"] * 4))
    assert len(cw.data) == 1
    dropped = cw.log[cw.log["action"] == "row_dropped"]
    assert dropped["row"].tolist() == [3, 4, 5]
    assert (dropped["issue"] == "missing id").all()


def test_id_changes_logged_without_raw_id():
    cw = clean(raw_wave(["Ab 12", "XY99", "zz1"], ["1"] * 3))
    ids = cw.log[cw.log["column"] == "pid_raw"]
    per_row = ids[ids["row"] != "all"]
    assert per_row["row"].tolist() == [2]
    assert per_row["original_value"].tolist() == ["case/whitespace differs"]
    assert per_row["pid"].tolist() == [pid("ab12")]
    summary = ids[ids["row"] == "all"]
    assert summary["original_value"].tolist() == ["1 cells"]  # XY99 case-folded
    text = cw.log.astype(str).to_string() + cw.data.astype(str).to_string()
    for raw_id in ["Ab 12", "XY99", "xy99", "ab12", "zz1"]:
        assert raw_id not in text


def test_cell_problems_logged_with_original_value():
    cw = clean(
        raw_wave(
            ["A", "B", "C"],
            ["99", "junk", "3.5"],
            age=["200", "x", "30"],
            gender=["alien", "man", " WOMAN"],
            dates=["bad", "2024-01-01", ""],
        )
    )
    lg = cw.log.set_index(["row", "column"])
    assert lg.loc[(2, "a"), "issue"] == "out of range [1, 7]"
    assert lg.loc[(3, "a"), "original_value"] == "junk"
    assert lg.loc[(4, "a"), "issue"] == "non-integer value on integer-coded scale"
    assert lg.loc[(2, "age"), "issue"].startswith("out of range")
    assert lg.loc[(2, "gender"), "original_value"] == "alien"
    assert lg.loc[(2, "done"), "issue"] == "unparseable date"
    assert lg.loc[(4, "done"), "issue"] == "completion date missing"
    assert lg.loc[(4, "done"), "action"] == "flagged"
    assert cw.data["gender"].tolist()[1:] == ["Man", "Woman"]
    assert cw.data["a"].isna().all()
    assert set(cw.log.loc[cw.log["row"] != "all", "action"]) == {"set_missing", "flagged"}


def test_reverse_keying_logged_once_per_column():
    cw = clean(raw_wave(["A", "B", "C"], ["1"] * 3, c=["1", "2", ""]))
    rk = cw.log[cw.log["action"] == "reverse_keyed"]
    assert len(rk) == 1 and rk["row"].iloc[0] == "all" and rk["column"].iloc[0] == "c"
    assert rk["original_value"].iloc[0] == "2 cells"


@pytest.mark.parametrize(
    "ids, a, b, dates, kept_row, reason",
    [
        (["X", "x"], ["1", "1"], ["1", ""], ["2024-01-01", "2024-02-01"], 2, "more complete"),
        (["X", "x "], ["1", "1"], ["1", "1"], ["2024-03-01", "2024-02-01"], 2, "later"),
        (["X", "X"], ["1", "1"], ["1", "1"], ["", "2024-02-01"], 3, "later"),
        (["X", "X"], ["1", "1"], ["1", "1"], ["2024-02-01", "2024-02-01"], 3, "last in file"),
    ],
)
def test_duplicate_rule(ids, a, b, dates, kept_row, reason):
    cw = clean(raw_wave(ids, a, b=b, dates=dates))
    assert cw.data["_source_row"].tolist() == [kept_row]
    d = cw.log[(cw.log["action"] == "row_dropped")]
    assert len(d) == 1
    assert d["row"].iloc[0] == 5 - kept_row
    assert d["issue"].iloc[0] == f"duplicate id: kept row {kept_row} ({reason})"


def test_missing_configured_column_names_file_and_suggestion():
    raw = raw_wave(["A"], ["1"]).rename(columns={"b": "B_"})
    with pytest.raises(InputFileError, match=r"w.csv.*'b'.*did you mean 'B_'"):
        clean(raw)


def test_covariates_optional_at_follow_up():
    raw = raw_wave(["A"], ["1"]).drop(columns=["age", "gender"])
    cw = clean(raw, wave="T1", index=1, baseline=False)
    assert cw.data["age"].isna().all() and cw.data["gender"].isna().all()
    with pytest.raises(InputFileError):
        clean(raw)


def _three_waves():
    t0 = clean(raw_wave(["A", "B", "C"], ["1", "2", "3"], file="t0.csv"))
    t1 = clean(raw_wave(["a", "B", "Z"], ["4", "5", "6"], file="t1.csv"), "T1", 1, False)
    t2 = clean(raw_wave(["C"], ["7"], file="t2.csv"), "T2", 2, False)
    return t0, t1, t2


def test_link_waves_drop_and_keep():
    t0, t1, t2 = _three_waves()
    long, log = link_waves([t0.data, t1.data, t2.data], unmatched_followup="drop")
    assert len(long) == 6 and pid("Z") not in set(long["pid"])
    assert log["action"].tolist() == ["row_dropped"] and log["row"].tolist() == [4]
    assert log["issue"].iloc[0] == "id not seen at baseline (T0)"
    long_k, log_k = link_waves([t0.data, t1.data, t2.data], unmatched_followup="keep")
    assert len(long_k) == 7 and log_k["action"].tolist() == ["kept_unmatched"]


def test_to_wide():
    t0, t1, t2 = _three_waves()
    long, _ = link_waves([t0.data, t1.data, t2.data])
    long["sc"] = long["a"]
    wide = to_wide(long, ["sc"], ["age", "gender"], ["T0", "T1", "T2"])
    assert len(wide) == 3
    assert list(wide.columns) == [
        "pid",
        "age",
        "gender",
        "sc_T0",
        "sc_T1",
        "sc_T2",
        "responded_T0",
        "responded_T1",
        "responded_T2",
    ]
    row_a = wide.set_index("pid").loc[pid("A")]
    assert row_a["sc_T0"] == 1 and row_a["sc_T1"] == 4 and np.isnan(row_a["sc_T2"])
    assert row_a["responded_T1"] and not row_a["responded_T2"]
    assert wide["responded_T0"].all()
    with pytest.raises(DataError, match="score the scales"):
        to_wide(long, ["missing_scale"], [], ["T0"])


def test_check_accounting():
    t0, t1, t2 = _three_waves()
    long, llog = link_waves([t0.data, t1.data, t2.data])
    log = concat_logs([t0.log, t1.log, t2.log, llog])
    counts = {"t0.csv": 3, "t1.csv": 3, "t2.csv": 1}
    check_accounting(counts, long, log)
    with pytest.raises(DataError, match="t1.csv: 4 rows read"):
        check_accounting({**counts, "t1.csv": 4}, long, log)
    # t1 row 4 (id Z, dropped as unmatched) also appears among the kept rows
    extra = long[long["_source_file"] == "t1.csv"].head(1).assign(_source_row=4)
    with pytest.raises(DataError, match="row 4 is both kept and logged as dropped"):
        check_accounting({**counts, "t1.csv": 4}, pd.concat([long, extra]), log)


def test_concat_logs_accepts_reader_logs_and_accounting_counts_their_drops():
    t0 = clean(raw_wave(["A", "B"], ["1", "2"], file="t0.csv"))
    reader_log = pd.DataFrame(
        {
            "file": ["t0.csv"],
            "row": pd.array([4], dtype="Int64"),
            "column": [None],
            "original_value": [None],
            "issue": ["empty row"],
            "action": ["row_dropped"],
        }
    )
    log = concat_logs([reader_log, t0.log, None])
    assert list(log.columns) == LOG_COLUMNS
    assert log["pid"].iloc[0] is None and log["wave"].iloc[0] is None
    check_accounting({"t0.csv": 3}, t0.data, log)  # 2 kept + 1 dropped by the reader
