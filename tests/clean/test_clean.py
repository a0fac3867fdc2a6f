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
from pipeline.errors import ConfigError, DataError, InputFileError

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


def clean(raw, wave="T0", index=0, baseline=True, **rules):
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
        **rules,
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


def test_id_changes_logged_by_row_never_with_the_id():
    """The QC log names the file and row of a changed id, never the id: beside the pid it would
    be a key from pseudonyms back to raw ids (messages name ids as written; the log does not)."""
    cw = clean(raw_wave(["Ab 12", "XY99", "zz1"], ["1"] * 3))
    ids = cw.log[cw.log["column"] == "pid_raw"]
    per_row = ids[ids["row"] != "all"]
    assert per_row["row"].tolist() == [2]
    assert per_row["original_value"].tolist() == ["case/whitespace differs"]
    assert "Ab 12" not in cw.log.astype(str).to_string()
    assert per_row["pid"].tolist() == [pid("ab12")]
    summary = ids[ids["row"] == "all"]
    assert summary["original_value"].tolist() == ["1 cells"]  # XY99 case-folded
    assert "xy99" not in cw.log.astype(str).to_string()
    data = cw.data.astype(str).to_string()
    for raw_id in ["Ab 12", "XY99", "xy99", "ab12", "zz1"]:
        assert raw_id not in data


def test_missing_id_words_are_missing_ids():
    cw = clean(raw_wave(["A1", "n/a", "  "], ["1"] * 3))
    dropped = cw.log[cw.log["action"] == "row_dropped"]
    assert dropped["original_value"].tolist() == ["(blank)", "(blank)"]
    assert (dropped["issue"] == "missing id").all()


def test_id_pattern_repads_lost_zeros_and_flags_ids_matching_neither():
    cw = clean(raw_wave(["SP0012", "sp12", "SP 7", "XX1"], ["1"] * 4), id_pattern=r"SP\d{4}")
    assert cw.data["pid"].tolist() == [pid("sp0012"), pid("SP0007"), pid("XX1")]
    lg = cw.log[cw.log["column"] == "pid_raw"]
    by = {(r, i): (o, a) for r, i, o, a in lg[["row", "issue", "original_value", "action"]]
          .itertuples(index=False)}
    assert by[(3, "id re-padded to id_pattern")] == ("(re-padded)", "id_normalised")
    assert by[(4, "id re-padded to id_pattern")] == ("(re-padded)", "id_normalised")
    assert by[(5, "id does not match id_pattern 'SP\\d{4}'")] == ("(does not match)", "flagged")
    # rows 2 and 3 are one participant once re-padded: a duplicate, resolved by the rule
    assert by[(3, "duplicate id: tie, kept")] == ("(duplicate)", "flagged")
    assert [k for k in by if k[0] == 2][0][1].startswith("duplicate id: tie with row 3")


def test_reverse_keying_logged_once_per_column():
    cw = clean(raw_wave(["A", "B", "C"], ["1"] * 3, c=["1", "2", ""]))
    rk = cw.log[cw.log["action"] == "reverse_keyed"]
    assert len(rk) == 1 and rk["row"].iloc[0] == "all" and rk["column"].iloc[0] == "c"
    assert rk["original_value"].iloc[0] == "2 cells"


@pytest.mark.parametrize(
    "rule, ids, b, dates, kept_row, reason",
    [
        ("most_complete", ["X", "x"], ["1", ""], ["2024-01-01", "2024-02-01"], 2,
         "more complete"),
        ("most_complete", ["X", "x "], ["1", "1"], ["2024-03-01", "2024-02-01"], 2, "later"),
        ("most_complete", ["X", "X"], ["1", "1"], ["", "2024-02-01"], 3, "later"),
        ("latest", ["X", "x"], ["1", ""], ["2024-01-01", "2024-02-01"], 3, "later"),
        ("latest", ["X", "X"], ["1", "1"], ["2024-02-01", ""], 2, "later"),
        ("first", ["X", "x"], ["", "1"], ["2024-01-01", "2024-02-01"], 2, "first in file"),
    ],
)
def test_duplicate_rule(rule, ids, b, dates, kept_row, reason):
    cw = clean(raw_wave(ids, ["1", "1"], b=b, dates=dates), duplicates=rule)
    assert cw.data["_source_row"].tolist() == [kept_row]
    d = cw.log[(cw.log["action"] == "row_dropped")]
    assert len(d) == 1
    assert d["row"].iloc[0] == 5 - kept_row
    assert d["issue"].iloc[0] == (f"duplicate id: kept row {kept_row} ({reason}); "
                                  f"no answer differs from row {kept_row}'s")
    assert d["original_value"].iloc[0] == "(duplicate)"  # the row, never the id
    assert "tie" not in " ".join(cw.log["issue"].astype(str))


def test_a_dropped_duplicate_says_on_how_many_answered_items_it_differs_from_the_kept_row(
        caplog):
    """Two rows under one id whose answers disagree may be two people: the QC log says on how
    many of the items both rows answered they differ, and the terminal names such ids apart."""
    from pipeline.clean.study import CONFLICT, report_changes

    raw = raw_wave(["X", "x", "Y", "Y"], ["1", "2", "3", "3"], b=["5", "5", "", "2"],
                   c=["7", "1", "4", "4"], dates=["2024-01-01", "2024-02-01"] * 2)
    cw = clean(raw)
    assert cw.data["_source_row"].tolist() == [3, 5]
    d = cw.log[cw.log["action"] == "row_dropped"].set_index("row")["issue"]
    assert d[2] == ("duplicate id: kept row 3 (later); answers differ from row 3's on 2 of "
                    "the 3 items both answered")
    assert d[4] == "duplicate id: kept row 5 (more complete); no answer differs from row 5's"
    with caplog.at_level("WARNING", logger="pipeline.clean"):
        report_changes(cw.log)
    assert f"1 rows dropped ({CONFLICT})" in caplog.text
    assert "1 rows dropped (duplicate id)" in caplog.text


def test_duplicate_tie_logs_both_rows_and_keeps_the_last():
    dates = ["2024-03-01 10:00", "2024-03-01 10:00"]
    cw = clean(raw_wave(["X", "X"], ["1", "1"], dates=dates), duplicates="latest")
    assert cw.data["_source_row"].tolist() == [3]
    lg = cw.log[cw.log["column"] == "pid_raw"].set_index("row")
    assert lg.loc[2, "issue"] == (
        "duplicate id: tie with row 3 (same completion date 2024-03-01 10:00); kept row 3 "
        "(last in file); no answer differs from row 3's")
    assert lg.loc[2, "action"] == "row_dropped"
    assert lg.loc[3, "issue"] == "duplicate id: tie, kept" and lg.loc[3, "action"] == "flagged"
    mc = clean(raw_wave(["X", "X"], ["1", "1"], dates=dates))
    issue = mc.log.loc[mc.log["action"] == "row_dropped", "issue"].iloc[0]
    assert issue == ("duplicate id: tie with row 3 (same number of answers (3) and completion "
                     "date 2024-03-01 10:00); kept row 3 (last in file); no answer differs from "
                     "row 3's")


def test_duplicate_rule_error_lists_ids_as_written_with_rows():
    raw = raw_wave(["Ab1", "ab1", "C", "C", "D"], ["1"] * 5, file="t1.csv")
    with pytest.raises(InputFileError) as exc:
        clean(raw, "T1", 1, False, duplicates="error")
    msg = str(exc.value)
    assert "t1.csv (wave T1): 2 participant id(s)" in msg
    assert "'Ab1' (rows 2, 3)" in msg and "'C' (rows 4, 5)" in msg
    assert "cleaning.duplicates" in msg
    clean(raw_wave(["A", "B"], ["1", "2"]), duplicates="error")  # no duplicates: fine


def test_rows_without_answers_are_dropped_before_duplicates():
    """Issue 13.3: an empty row (REDCap event, empty Qualtrics partial) is not a response,
    and an empty duplicate never beats a real submission (here: the later, empty one)."""
    raw = raw_wave(["A", "A", "B", "C"], ["2", "", "n/a", "99"], b=["2", "", "", ""],
                   c=["2", "", "", ""], dates=["2024-01-01", "2024-05-01", "2024-01-01",
                                                "2024-01-01"])
    cw = clean(raw, duplicates="latest")
    assert cw.data["_source_row"].tolist() == [2]
    d = cw.log[cw.log["action"] == "row_dropped"].set_index("row")
    assert d.loc[3, "issue"] == "no answers (0 of 3 items answered)"
    assert d.loc[4, "issue"] == "no answers (0 of 3 items answered)"  # 'n/a' is no answer
    assert d.loc[5, "issue"] == "no answers (0 of 3 items answered)"  # out of range
    assert d.loc[3, "original_value"] == "(no answers)"
    assert len(d) == 3


def test_min_answered_is_configurable():
    raw = raw_wave(["A", "B"], ["2", "2"], b=["2", ""], c=["2", ""])
    cw = clean(raw, min_answered=2)
    assert cw.data["_source_row"].tolist() == [2]
    issue = cw.log.loc[cw.log["action"] == "row_dropped", "issue"].iloc[0]
    assert issue == "no answers (1 of 3 items answered; cleaning.min_answered = 2)"
    with pytest.raises(ConfigError, match="cleaning.min_answered: 4 is more than the 3"):
        clean(raw, min_answered=4)


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


def test_to_wide_equals_a_lookup_per_participant_and_wave():
    """The scores lined up in one step equal the per-cell lookup they replaced; a wave with no
    rows gives NaN scores and False responded; only baseline pids have rows."""
    rng = np.random.default_rng(3)
    pids = [f"p{k:03d}" for k in range(40)]
    rows = [{"pid": p, "wave": w, "sc": float(rng.integers(1, 8)) if rng.random() < .8 else np.nan,
             "age": 30.0 + k}
            for k, p in enumerate(pids) for w in ("T0", "T1") if w == "T0" or rng.random() < .5]
    rows.append({"pid": "stranger", "wave": "T1", "sc": 2.0, "age": 1.0})
    long = pd.DataFrame(rows)
    wide = to_wide(long, ["sc"], ["age"], ["T0", "T1", "T2"])
    assert wide["pid"].tolist() == pids
    for w in ("T0", "T1"):
        look = {(r.pid): r.sc for r in long[long["wave"] == w].itertuples()}
        expect = [look.get(p, np.nan) for p in pids]
        np.testing.assert_array_equal(wide[f"sc_{w}"].to_numpy(), np.array(expect, float))
        assert wide[f"responded_{w}"].tolist() == [p in look for p in pids]
    assert wide["sc_T2"].isna().all() and not wide["responded_T2"].any()
    assert wide["sc_T0"].dtype == float and wide["responded_T1"].dtype == bool


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
