"""Tests for pipeline.clean.responses: the no-answer rule and the duplicate-id rules."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean.responses import (
    TIE_KEPT,
    date_text,
    no_answer_issue,
    resolve_duplicates,
)
from pipeline.errors import InputFileError

DATES = [pd.Timestamp("2024-03-01 10:00"), pd.Timestamp("2024-03-02"), pd.NaT]


@st.composite
def waves(draw):
    """Rows of one wave: pid (few distinct, so duplicates are common), answered items,
    completion date (some missing, some equal) and a unique source row."""
    n = draw(st.integers(1, 30))
    pids = draw(st.lists(st.sampled_from(["p1", "p2", "p3", "p4"]), min_size=n, max_size=n))
    ns = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    dates = draw(st.lists(st.sampled_from(DATES), min_size=n, max_size=n))
    rows = draw(st.permutations(list(range(2, n + 2))))
    return pd.DataFrame({"pid": pids, "n": ns, "date": pd.Series(dates, dtype="datetime64[ns]"),
                         "row": rows})


def _key(d: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The rule's ordering key (larger wins): missing date = earliest; row decides last."""
    date = d["date"].fillna(pd.Timestamp.min).astype("int64")
    if rule == "most_complete":
        return pd.DataFrame({"n": d["n"], "date": date, "row": d["row"]})
    if rule == "latest":
        return pd.DataFrame({"date": date, "row": d["row"]})
    return pd.DataFrame({"row": -d["row"]})


@settings(max_examples=150, deadline=None)
@given(waves(), st.sampled_from(["most_complete", "latest", "first"]))
def test_one_row_per_pid_survives_it_wins_by_the_rule_and_every_drop_is_explained(d, rule):
    res = resolve_duplicates(d["pid"], d["n"], d["date"], d["row"], rule=rule)
    kept = d[res.keep]
    assert sorted(kept["pid"]) == sorted(d["pid"].unique())  # exactly one row per pid
    key = _key(d, rule)
    for p, grp in d.groupby("pid"):
        winner = key.loc[res.keep & (d["pid"] == p)].iloc[0]
        best = key.loc[grp.index].sort_values(list(key.columns), ascending=False).iloc[0]
        assert tuple(winner) == tuple(best)
    # every dropped row has an issue naming the kept row; kept rows have none
    assert res.dropped[~res.keep].notna().all() and res.dropped[res.keep].isna().all()
    for i in d.index[~res.keep]:
        w_row = int(d.loc[res.keep & (d["pid"] == d.loc[i, "pid"]), "row"].iloc[0])
        assert res.dropped[i].startswith("duplicate id: ")
        assert f"kept row {w_row} (" in res.dropped[i]
    # a kept row is flagged as a tie exactly when a dropped row of its pid tied with it
    tied = {d.loc[i, "pid"] for i in d.index[~res.keep] if "tie with" in res.dropped[i]}
    assert set(d.loc[res.tie_kept.notna(), "pid"]) == tied
    assert res.tie_kept.dropna().eq(TIE_KEPT).all()
    assert not res.tie_kept[~res.keep].notna().any()


def test_tie_under_latest_keeps_the_last_row_in_the_file():
    d = pd.DataFrame({"pid": ["a", "a"], "n": [3, 5], "date": [DATES[0], DATES[0]],
                      "row": [12, 7]})
    res = resolve_duplicates(d["pid"], d["n"], d["date"], d["row"], rule="latest")
    assert res.keep.tolist() == [True, False]
    assert res.dropped[1] == ("duplicate id: tie with row 12 (same completion date "
                              "2024-03-01 10:00); kept row 12 (last in file)")
    assert res.tie_kept[0] == TIE_KEPT


def test_missing_date_counts_as_earliest_and_ties_with_another_missing_date():
    d = pd.DataFrame({"pid": ["a", "a", "b", "b"], "n": [1, 1, 1, 1],
                      "date": [pd.NaT, DATES[1], pd.NaT, pd.NaT], "row": [2, 3, 4, 5]})
    res = resolve_duplicates(d["pid"], d["n"], d["date"], d["row"], rule="latest")
    assert res.keep.tolist() == [False, True, False, True]
    assert res.dropped[0] == "duplicate id: kept row 3 (later)"
    assert res.dropped[2].startswith("duplicate id: tie with row 5 (same completion date "
                                     "(missing))")


def test_error_rule_lists_at_most_ten_ids_as_written():
    pids = [f"p{k}" for k in range(12) for _ in range(2)]
    d = pd.DataFrame({"pid": pids, "n": 1, "date": pd.NaT, "row": range(2, 26)})
    shown = pd.Series([f"SP-{k:04d}" for k in range(12) for _ in range(2)])
    with pytest.raises(InputFileError) as exc:
        resolve_duplicates(d["pid"], d["n"], d["date"], d["row"], rule="error", shown=shown,
                           file="t0.csv", wave_id="T0")
    msg = str(exc.value)
    assert "t0.csv (wave T0): 12 participant id(s)" in msg and "'SP-0000' (rows 2, 3)" in msg
    assert "'SP-0009'" in msg and "'SP-0010'" not in msg and "and 2 more" in msg


def test_unknown_rule_is_a_programming_error():
    with pytest.raises(ValueError):
        resolve_duplicates(pd.Series(["a"]), pd.Series([1]), pd.Series([pd.NaT]),
                           pd.Series([2]), rule="newest")


@given(st.lists(st.integers(0, 17), min_size=1, max_size=40), st.integers(1, 17))
def test_no_answer_rule_marks_exactly_the_rows_below_the_minimum(ns, minimum):
    n = pd.Series(ns)
    issue = no_answer_issue(n, 17, minimum)
    assert (issue.notna() == (n < minimum)).all()
    for k, text in zip(ns, issue, strict=True):
        if k < minimum:
            assert text.startswith(f"no answers ({k} of 17 items answered")
            assert ("cleaning.min_answered" in text) == (minimum > 1)


def test_no_answer_issue_text():
    assert no_answer_issue(pd.Series([0, 2]), 17).tolist()[0] == \
        "no answers (0 of 17 items answered)"


def test_date_text():
    assert date_text(pd.Timestamp("2024-03-01")) == "2024-03-01"
    assert date_text(pd.Timestamp("2024-03-01 10:00")) == "2024-03-01 10:00"
    assert date_text(pd.Timestamp("2024-03-01 10:00:05")) == "2024-03-01 10:00:05"
    assert date_text(pd.NaT) == "(missing)"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"),
                          st.lists(st.one_of(st.none(), st.integers(1, 3)), min_size=3,
                                   max_size=3)), min_size=1, max_size=12))
def test_a_dropped_rows_agreement_with_its_kept_row_counts_only_items_both_answered(rows):
    answers = pd.DataFrame([[float("nan") if v is None else float(v) for v in r[1]]
                            for r in rows], columns=["i1", "i2", "i3"])
    pid = pd.Series([r[0] for r in rows])
    n = answers.notna().sum(axis=1)
    res = resolve_duplicates(pid, n, pd.Series(pd.NaT, index=pid.index),
                             pd.Series(range(2, len(rows) + 2)), rule="first", answers=answers)
    assert res.dropped[res.keep].isna().all()
    for i in res.dropped.index[~res.keep]:
        k = pid[res.keep][pid[res.keep] == pid[i]].index[0]
        both = answers.loc[i].notna() & answers.loc[k].notna()
        differ = int((both & (answers.loc[i] != answers.loc[k])).sum())
        text = res.dropped[i]
        assert text.startswith(f"duplicate id: kept row {k + 2} (first in file)")
        if differ:
            assert text.endswith(f"answers differ from row {k + 2}'s on {differ} of the "
                                 f"{int(both.sum())} items both answered")
        else:
            assert text.endswith(f"; no answer differs from row {k + 2}'s")
