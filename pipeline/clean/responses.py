"""Which rows of a wave are responses: the no-answer rule and the duplicate-id rule.

**No answers** (:func:`no_answer_issue`). A row counts as a response only when at least
``cleaning.min_answered`` (default 1) of the configured scale items hold an *answer*: a valid
value after item cleaning (:func:`pipeline.clean.values.clean_item`). A missing-value word
("n/a", "Refused"), a missing code, an out-of-range or non-integer value and a blank cell are
not answers; covariates and the completion date do not count. Such rows are what REDCap
writes for every scheduled event and what Qualtrics keeps of a partial response with nothing
answered. They are dropped (``row_dropped``, "no answers (0 of 17 items answered)") in every
wave, the baseline included: a baseline row with no answers is not a participant. The rule
runs before the duplicate rule, so an empty submission never beats a real one.

**Duplicate ids** (:func:`resolve_duplicates`), by ``cleaning.duplicates``:

* ``most_complete`` (default): most answered items, then the latest completion date;
* ``latest``: the latest completion date;
* ``first``: the first row in the file;
* ``error``: stop the run listing the duplicate ids as written and their rows.

A missing completion date counts as the earliest (it never wins on date). Rows equal on the
rule's key (same completion date under ``latest``; same number answered and same date under
``most_complete``) are *ties*: the last row in the file is kept, and both rows are logged: the
dropped one ``"duplicate id: tie with row 12 (same completion date 2024-03-01 10:00); kept
row 12 (last in file)"`` and the kept one ``flagged`` "duplicate id: tie, kept".

A dropped row's text also says whether its answers agree with the kept row's on the items both
answered ("; answers differ from row 12's on 3 of the 15 items both answered", or "; no answer
differs from row 12's"): rows that differ may be two people under one id, which no rule can
resolve; the clean stage's log says how many ids of a wave have such rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import InputFileError

__all__ = [
    "DUPLICATE_RULES",
    "TIE_KEPT",
    "Duplicates",
    "date_text",
    "dates_text",
    "no_answer_issue",
    "resolve_duplicates",
]

DUPLICATE_RULES = ("most_complete", "latest", "first", "error")
TIE_KEPT = "duplicate id: tie, kept"
MAX_LISTED = 10


def date_text(ts) -> str:
    """A completion date for messages: ``2024-03-01``, ``2024-03-01 10:00`` or with seconds;
    ``(missing)`` for NaT."""
    if pd.isna(ts):
        return "(missing)"
    ts = pd.Timestamp(ts)
    if ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%d %H:%M" if ts.second == 0 else "%Y-%m-%d %H:%M:%S")


def dates_text(dates: pd.Series) -> pd.Series:
    """:func:`date_text` of each date (object Series, same index)."""
    return pd.Series([date_text(x) for x in dates], index=dates.index, dtype=object)


def no_answer_issue(n_answered: pd.Series, n_items: int, min_answered: int = 1) -> pd.Series:
    """Issue text for rows with fewer than ``min_answered`` answered items, else missing:
    "no answers (0 of 17 items answered)"; with ``min_answered`` > 1 the threshold is named."""
    n = n_answered.astype(int)
    text = "no answers (" + n.astype(str) + f" of {n_items} items answered"
    if min_answered > 1:
        text = text + f"; cleaning.min_answered = {min_answered}"
    return (text + ")").astype("string").where(n < min_answered)


@dataclass(frozen=True)
class Duplicates:
    """Result of :func:`resolve_duplicates` (all Series share the input's index): ``keep``
    (one row per pid), ``dropped`` (issue text of each dropped row, else missing) and
    ``tie_kept`` (:data:`TIE_KEPT` on kept rows that won a tie, else missing)."""

    keep: pd.Series
    dropped: pd.Series
    tie_kept: pd.Series


def _sort_key(rule: str) -> tuple[list[str], list[bool], list[str]]:
    """(sort columns, ascending flags, tie-key columns) of a rule; the row decides last."""
    if rule == "most_complete":
        return ["n", "date", "row"], [False, False, False], ["n", "date"]
    if rule == "latest":
        return ["date", "row"], [False, False], ["date"]
    return ["row"], [True], ["row"]


def _refuse(d: pd.DataFrame, shown: pd.Series | None, file: str, wave_id: str) -> None:
    """``cleaning.duplicates: error``: list up to :data:`MAX_LISTED` duplicate ids as written."""
    dup = d[d["pid"].duplicated(keep=False)]
    if dup.empty:
        return
    text = shown if shown is not None else d["pid"]
    groups = dup.groupby("pid", sort=False)["row"].agg(list)
    first_row = dup.groupby("pid", sort=False)["row"].min().sort_values()
    listed = [
        f"'{text.loc[dup.index[dup['pid'] == p][0]]}' (rows "
        + ", ".join(str(int(r)) for r in sorted(groups[p])) + ")"
        for p in first_row.index[:MAX_LISTED]
    ]
    more = f" and {len(groups) - MAX_LISTED} more" if len(groups) > MAX_LISTED else ""
    raise InputFileError(
        f"{file} (wave {wave_id}): {len(groups)} participant id(s) appear on more than one row "
        f"and cleaning.duplicates is 'error': {'; '.join(listed)}{more}. Remove the extra "
        "submissions from the export, or set cleaning.duplicates to most_complete, latest or "
        "first to let the pipeline choose (every choice is logged in the QC log)."
    )


def _issues(d: pd.DataFrame, w: pd.DataFrame, rule: str, tie: pd.Series) -> pd.Series:
    """Issue text of each row for the winner ``w`` of its pid (used for dropped rows only)."""
    wrow = w["row"].astype(int).astype(str)
    if rule == "most_complete":
        reason = np.where(w["n"] > d["n"], "more complete", "later")
        same = ("same number of answers (" + d["n"].astype(int).astype(str)
                + ") and completion date " + dates_text(d["date"]))
    elif rule == "latest":
        reason = np.full(len(d), "later")
        same = "same completion date " + dates_text(d["date"])
    else:
        reason, same = np.full(len(d), "first in file"), pd.Series("", index=d.index)
    plain = "duplicate id: kept row " + wrow + " (" + pd.Series(reason, index=d.index) + ")"
    tied = ("duplicate id: tie with row " + wrow + " (" + same + "); kept row " + wrow
            + " (last in file)")
    return tied.where(tie, plain)


def _agreement(answers: pd.DataFrame, d: pd.DataFrame, keep: pd.Series,
               kept_row: pd.Series) -> pd.Series:
    """For each row, how its answers compare with those of the row kept for its pid, as a suffix
    of its issue text: "; answers differ from row 12's on 3 of the 15 items both answered"
    (a second person under the same id, or a changed mind: worth a look) or "; no answer differs
    from row 12's" (a repeated submission). Only items answered in both rows are compared: an
    item one row left blank is the duplicate rule's business (the more complete row wins)."""
    a = answers.to_numpy(dtype=float)
    at = pd.Series(np.arange(len(d)), index=d.index)
    winner = at[keep].set_axis(d.loc[keep, "pid"]).reindex(d["pid"]).to_numpy()
    b = a[winner]
    both = ~np.isnan(a) & ~np.isnan(b)
    n_both, n_differ = both.sum(axis=1), (both & (a != b)).sum(axis=1)
    row = kept_row.astype(int).astype(str).to_numpy()
    text = np.where(n_differ > 0,
                    "; answers differ from row " + row + "'s on " + n_differ.astype(str)
                    + " of the " + n_both.astype(str) + " items both answered",
                    "; no answer differs from row " + row + "'s")
    return pd.Series(text, index=d.index)


def resolve_duplicates(
    pid: pd.Series,
    n_answered: pd.Series,
    date: pd.Series,
    row: pd.Series,
    *,
    rule: str = "most_complete",
    shown: pd.Series | None = None,
    file: str = "(input)",
    wave_id: str = "",
    answers: pd.DataFrame | None = None,
) -> Duplicates:
    """Keep one row per ``pid`` by ``rule`` (see the module docstring).

    ``n_answered``: answered items per row; ``date``: completion dates (NaT = earliest);
    ``row``: the source row (unique within the file); ``shown``: the ids as written (for the
    ``error`` rule's message); ``file``/``wave_id`` name the export in that message;
    ``answers``: the rows' cleaned item values (same index), when given the text of a dropped
    row also says whether its answers agree with the kept row's (:func:`_agreement`).
    """
    if rule not in DUPLICATE_RULES:
        raise ValueError(f"unknown duplicate rule {rule!r}; one of {DUPLICATE_RULES}")
    d = pd.DataFrame({"pid": pid, "n": n_answered, "date": date, "row": row})
    if rule == "error":
        _refuse(d, shown, file, wave_id)
        rule = "first"
    cols, asc, tie_cols = _sort_key(rule)
    order = d.sort_values(["pid", *cols], ascending=[True, *asc], na_position="last",
                          kind="stable")
    first = ~order["pid"].duplicated(keep="first")
    keep = first.reindex(d.index).astype(bool)
    w = order[first].set_index("pid").reindex(d["pid"]).set_index(d.index)
    tie = pd.Series(True, index=d.index)
    for c in tie_cols:
        tie &= (w[c] == d[c]) | (w[c].isna() & d[c].isna())
    tie &= ~keep
    dropped = _issues(d, w, rule, tie)
    if answers is not None:
        dropped = dropped + _agreement(answers, d, keep, w["row"])
    dropped = dropped.astype("string").where(~keep)
    tied_pids = set(d.loc[tie, "pid"])
    tie_kept = pd.Series(TIE_KEPT, index=d.index, dtype="string").where(
        keep & d["pid"].isin(tied_pids))
    return Duplicates(keep=keep, dropped=dropped, tie_kept=tie_kept)
