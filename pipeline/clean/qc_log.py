"""QC log of the clean stage: constructors of its records (format and concatenation:
:mod:`pipeline.qc`).

QC log (:data:`LOG_COLUMNS`, object dtype, None = missing): one row per action. ``row`` is the
1-based ``_source_row`` of the cell/row, or the text ``"all"`` for a *column summary* row (one
per file x column) that stands for every cell of that column it describes; ``original_value``
then starts with the cell count ("12 cells", "3 cells: 'n/a' x2; 'NA' x1"). Summary rows keep
the log small for bulk, rule-based changes that are not errors:

* ``reverse_keyed`` -- every answered cell of a reverse-keyed item was replaced by lo + hi - x;
* ``recoded`` -- text labels decoded via the label map / categorical spellings normalised;
* ``id_normalised`` with issue "case folded only" -- ids that differ from their normalised form
  only in case (all-capitals ids would otherwise add one row per participant);
* ``set_missing`` with issue ``missing-value text`` -- cells holding "n/a", "NA", "." etc.

Per-cell rows (``row`` = number) record every value set to missing because of a problem
(text not in label map, missing code, out of range, non-integer Likert value, unknown category,
unparseable date), each blank completion date (``flagged``: it weakens the duplicate rule),
each id whose white space was removed or whose leading zeros were restored to ``id_pattern``
(``id_normalised``), each id matching ``id_pattern`` in neither form (``flagged``), each kept
row that won a duplicate tie (``flagged``), each follow-up completed before baseline under
``cleaning.time_order: log`` (``flagged``) and each dropped row (``row_dropped``: missing id,
no answers, duplicate id, follow-up id not at baseline). ``pid`` is the pseudonymous id where
known.

Ids: the log names the file and row of every action and carries the pseudonymous ``pid``; it
never holds a raw id (beside the pid it would be a key from pseudonyms back to people).
``original_value`` of rows about the id says what happened instead ("(blank)", "(duplicate)",
"(re-padded)", ...). Messages that stop the run name ids as written, so an analyst can fix the
export. The data quality table made from the log (:mod:`pipeline.clean.quality`) holds no ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.qc import QC_LOG_COLUMNS as LOG_COLUMNS
from pipeline.qc import ROW_DROPPED, SET_MISSING, concat_logs, empty_log

__all__ = ["LOG_COLUMNS", "ROW_DROPPED", "SET_MISSING", "Where", "cell_log", "concat_logs",
           "empty_log", "issue_where", "make_log", "reader_log", "summary_log",
           "with_pids"]


def _obj(values, n: int) -> np.ndarray:
    """A length-``n`` object array: scalars are repeated, missing values become None."""
    if isinstance(values, (str, int, float)) or values is None:
        return np.full(n, values, dtype=object)
    arr = np.asarray(values, dtype=object)
    miss = pd.isna(arr)
    if miss.any():
        arr = arr.copy()
        arr[miss] = None
    return arr


def make_log(n: int, **cols) -> pd.DataFrame:
    """A QC log frame of ``n`` rows from :data:`LOG_COLUMNS` keyword arguments (scalar or
    array each); all columns are object dtype with None for missing."""
    return pd.DataFrame({c: _obj(cols.get(c), n) for c in LOG_COLUMNS})


@dataclass(frozen=True)
class Where:
    """Provenance of the rows being cleaned: file, source row and pid per row, and the wave."""

    file: pd.Series
    row: pd.Series
    pid: pd.Series | None
    wave: str


def cell_log(
    where: Where, column: str, original: pd.Series | str, issue: pd.Series, action: str
) -> pd.DataFrame | None:
    """Per-cell log rows where ``issue`` is not missing (None when there are none)."""
    m = issue.notna().to_numpy()
    if not m.any():
        return None
    return make_log(
        int(m.sum()),
        file=where.file.to_numpy()[m],
        row=where.row.to_numpy()[m].astype(int),
        pid=None if where.pid is None else where.pid.to_numpy()[m],
        wave=where.wave,
        column=column,
        original_value=original if isinstance(original, str) else original.to_numpy()[m],
        issue=issue.to_numpy()[m],
        action=action,
    )


def summary_log(
    where: Where,
    mask: pd.Series,
    column: str,
    issue: str,
    action: str,
    detail: pd.Series | None = None,
) -> pd.DataFrame | None:
    """One row per file for the cells in ``mask`` (``row == "all"``); ``original_value`` is
    ``"<n> cells"``, with ``detail`` followed by the distinct texts and counts
    (``"3 cells: 'n/a' x2; 'NA' x1"``)."""
    m = mask.fillna(False).to_numpy(dtype=bool)
    if not m.any():
        return None
    f = where.file[m].astype(str)
    if detail is None:
        orig = f.value_counts(sort=False).map(lambda k: f"{k} cells")
    else:
        counts = pd.DataFrame({"f": f.to_numpy(), "d": detail[m].astype(str).to_numpy()})
        counts = counts.value_counts(sort=False).reset_index(name="n").sort_values(["f", "d"])
        counts["txt"] = "'" + counts["d"] + "' x" + counts["n"].astype(str)
        by_file = counts.groupby("f")
        orig = by_file["n"].sum().astype(str) + " cells: " + by_file["txt"].agg("; ".join)
    return make_log(
        len(orig),
        file=orig.index.to_numpy(),
        row="all",
        wave=where.wave,
        column=column,
        original_value=orig.to_numpy(),
        issue=issue,
        action=action,
    )


def issue_where(text: str, mask: np.ndarray | pd.Series, index: pd.Index) -> pd.Series:
    """``text`` where ``mask`` is true, else missing."""
    return pd.Series(text, index=index, dtype="string").where(np.asarray(mask, dtype=bool))


def reader_log(frame: pd.DataFrame, wave: str, id_column: str) -> pd.DataFrame:
    """A reader's log (:data:`pipeline.qc.READ_LOG_COLUMNS`) in the QC-log shape: ``wave``
    filled, no pid yet, and raw ids never copied (``original_value`` of the id column blanked)."""
    out = frame.copy()
    out["pid"] = None
    out["wave"] = wave
    out.loc[out["column"] == id_column, "original_value"] = None
    return out[LOG_COLUMNS]


def with_pids(read_log: pd.DataFrame, data: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Fill the pseudonymous id into reader-log rows (e.g. SPSS user-missing codes) from a
    cleaned wave (its ``data`` and QC ``log``), matching on (file, row); rows dropped before an
    id was read keep none."""
    if read_log.empty:
        return read_log
    known = pd.concat([
        data[["_source_file", "_source_row", "pid"]].rename(
            columns={"_source_file": "file", "_source_row": "row"}),
        log.loc[log["pid"].notna(), ["file", "row", "pid"]],
    ], ignore_index=True)
    known = known[pd.to_numeric(known["row"], errors="coerce").notna()]
    key = known["file"].astype(str) + "#" + known["row"].astype(int).astype(str)
    lookup = dict(zip(key, known["pid"]))
    rows = pd.to_numeric(read_log["row"], errors="coerce")
    rkey = read_log["file"].astype(str) + "#" + rows.fillna(-1).astype(int).astype(str)
    out = read_log.copy()
    out["pid"] = out["pid"].where(out["pid"].notna(), rkey.map(lookup))
    return out
