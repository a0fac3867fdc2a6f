"""The value returned by every reader: data, an action log and metadata about the file.

The log's record format is :mod:`pipeline.qc` (:data:`pipeline.qc.READ_LOG_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.qc import READ_LOG_COLUMNS as LOG_COLUMNS
from pipeline.qc import concat_logs

SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"


@dataclass
class ReadResult:
    """What one reader produced for one (file, wave).

    ``data``: one row per kept raw data row, configured columns as read plus ``_source_file``
    and ``_source_row``. ``log``: one row per action (``LOG_COLUMNS``). ``meta``: facts about the
    file (format, encoding, delimiter, header row, value labels, ...).
    Invariant: ``meta['n_rows_read'] + meta.get('n_rows_unused', 0) == len(data) +
    (log.action == 'row_dropped').sum()`` (``n_rows_unused``: rows of a long file no wave takes,
    logged by the first wave reading it; :mod:`pipeline.ingest.filerows`).
    """

    data: pd.DataFrame
    log: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def add_log(self, records: list[dict[str, Any]]) -> None:
        """Append log records (:func:`log_entry`) to :attr:`log`."""
        self.log = append_log(self.log, records)

    @property
    def n_dropped(self) -> int:
        """Number of raw data rows dropped (each with a logged reason)."""
        return int((self.log["action"] == "row_dropped").sum()) if len(self.log) else 0


def log_frame(records: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """A log DataFrame with the standard columns (``row`` as nullable integer)."""
    df = pd.DataFrame(records or [], columns=LOG_COLUMNS)
    df["row"] = pd.array(df["row"], dtype="Int64")
    for col in ("file", "column", "original_value", "issue", "action"):
        df[col] = df[col].astype(object)
    return df


def log_entry(
    file: str,
    row: int | None,
    column: str | None,
    original_value: Any,
    issue: str,
    action: str,
) -> dict[str, Any]:
    """One log record (``original_value`` is stored as text; ``None`` stays missing)."""
    return {
        "file": file,
        "row": row,
        "column": column,
        "original_value": None if original_value is None else str(original_value),
        "issue": issue,
        "action": action,
    }


def append_log(log: pd.DataFrame, records: list[dict[str, Any]]) -> pd.DataFrame:
    """``log`` with ``records`` (:func:`log_entry`) appended (``row`` stays nullable integer)."""
    out = concat_logs([log, log_frame(records)], LOG_COLUMNS)
    out["row"] = pd.array(out["row"], dtype="Int64")
    return out


@dataclass
class RawTable:
    """A file's table as read, before wave selection: every column, rows aligned with ``rows``.

    ``rows`` holds the 1-based row number a person would see for each row of ``data``.
    ``log`` holds records made while reading (see :func:`log_entry`).
    """

    data: pd.DataFrame
    rows: Any  # numpy integer array, same length as data
    log: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
