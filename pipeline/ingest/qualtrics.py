"""Recognise Qualtrics exports and strip what is not survey data.

A Qualtrics CSV/XLSX export has two extra header rows (question text; ``{"ImportId": ...}``),
metadata columns, possibly "Survey Preview" test responses, and personal data (IP address,
names, e-mail, location) that must never enter the pipeline.

The legacy CSV and XLSX formats (before 2017/18) have one extra row instead: row 1 names the
metadata columns ``V1``..``V10`` and the questions by their ids (``Q1``), row 2 holds the
metadata names (``ResponseID``, ``ResponseSet``, ``Name``, ``ExternalDataReference``,
``EmailAddress``, ``IPAddress``, ``Status``, ``StartDate``, ``EndDate``, ``Finished``) and the
question texts. Its ``V`` columns are renamed to their row-2 names, so the same rules apply to
both formats.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .result import RawTable, log_entry

METADATA_COLUMNS = (
    "ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress",
    "LocationAccuracy", "StartDate", "EndDate", "Status", "IPAddress", "Progress",
    "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage",
)  # fmt: skip
# Never passed on, whatever the configuration says (unless it is the id column).
PRIVATE_COLUMNS = (
    "IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
    "LocationLatitude", "LocationLongitude",
)  # fmt: skip
LEGACY_METADATA_COLUMNS = (
    "ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress",
    "LocationAccuracy",
)  # fmt: skip
# Personal data in Qualtrics exports besides PRIVATE_COLUMNS (legacy names; location accuracy).
QUALTRICS_PRIVATE_COLUMNS = ("Name", "EmailAddress", "LocationAccuracy")
DATE_COLUMNS = ("StartDate", "EndDate", "RecordedDate")
_LEGACY_HEAD = re.compile(rb'^"?V1"?[,;\t|]"?V2"?[,;\t|]"?V3"?[,;\t|]"?V4"?[,;\t|]"?V5"?[,;\t|]')


def looks_legacy(buf: bytes) -> bool:
    """True when text (UTF-8 bytes) starts like a legacy Qualtrics CSV export: a first line
    ``V1,V2,V3,V4,V5,...`` and a second line starting with ``ResponseID``."""
    lines = buf.lstrip(b"\xef\xbb\xbf \r\n").split(b"\n", 2)
    if len(lines) < 2 or not _LEGACY_HEAD.match(lines[0].strip()):
        return False
    return lines[1].strip().lstrip(b'"').lower().startswith(b"responseid")


def looks_legacy_rows(first: tuple | list, second: tuple | list) -> bool:
    """True when two rows of cells (a workbook's first two non-empty rows) start like a legacy
    Qualtrics export: ``V1`` .. ``V5``, then ``ResponseID`` (the legacy ``.xlsx`` export has the
    same two rows as the CSV)."""
    head = [str(v).strip() if v is not None else "" for v in list(first)[:5]]
    lead = str(second[0]).strip().lower() if len(second) and second[0] is not None else ""
    return head == ["V1", "V2", "V3", "V4", "V5"] and lead == "responseid"


def private_columns(meta: dict[str, Any]) -> tuple[str, ...]:
    """Columns never passed on for a table with this meta (more for Qualtrics exports)."""
    if is_qualtrics_meta(meta) or meta.get("qualtrics_legacy"):
        return PRIVATE_COLUMNS + QUALTRICS_PRIVATE_COLUMNS
    return PRIVATE_COLUMNS
_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"\s*:')


def is_qualtrics(table: RawTable) -> bool:
    """True when the second data row holds ``{"ImportId": ...}`` cells (Qualtrics' 3rd row),
    or the reader saw a legacy Qualtrics CSV (:func:`looks_legacy`)."""
    if table.meta.get("qualtrics_legacy"):
        return len(table.data) >= 1
    df = table.data
    if len(df) < 2:
        return False
    row = df.iloc[1].dropna().astype(str)
    hits = row.str.match(_IMPORT_ID).sum()
    return bool(hits >= max(1, len(row) // 2))


def strip_header_rows(table: RawTable, *, file: str) -> RawTable:
    """Remove Qualtrics' question-text and ImportId rows (logged as skipped, not data rows)."""
    if table.meta.get("qualtrics_legacy"):
        return _strip_legacy_header_row(table, file=file)
    log = list(table.log)
    for i, what in ((0, "question text"), (1, "ImportId")):
        log.append(
            log_entry(
                file, int(table.rows[i]), None, None, f"qualtrics_header_row: {what}", "skipped"
            )
        )
    question_text = {
        str(c): (None if pd.isna(v) else str(v)) for c, v in table.data.iloc[0].items()
    }
    meta = dict(table.meta)
    meta["format"] = f"qualtrics_{meta.get('format', 'csv')}"
    meta["question_text"] = question_text
    meta["notes"] = list(meta.get("notes", [])) + ["Qualtrics export: 2 extra header rows skipped"]
    return RawTable(
        data=table.data.iloc[2:].reset_index(drop=True),
        rows=np.asarray(table.rows)[2:],
        log=log,
        meta=meta,
    )


_V_COLUMN = re.compile(r"^V\d+$")


def _strip_legacy_header_row(table: RawTable, *, file: str) -> RawTable:
    """Legacy format: name the ``V`` columns by their row-2 names, skip row 2 (logged)."""
    df = table.data
    labels = df.iloc[0]
    renames: dict[str, str] = {}
    for c in df.columns:
        label = labels[c]
        if _V_COLUMN.match(str(c)) and pd.notna(label) and str(label).strip():
            new = str(label).strip()
            if new not in df.columns and new not in renames.values():
                renames[str(c)] = new
    question_text = {
        renames.get(str(c), str(c)): (None if pd.isna(v) else str(v)) for c, v in labels.items()
    }
    log = [
        *table.log,
        log_entry(
            file, int(table.rows[0]), None, None, "qualtrics_header_row: legacy names and "
            "question text", "skipped",
        ),
    ]  # fmt: skip
    meta = dict(table.meta)
    meta["format"] = f"qualtrics_{meta.get('format', 'csv')}"
    meta["question_text"] = question_text
    meta["qualtrics_legacy_columns"] = renames
    meta["notes"] = list(meta.get("notes", [])) + [
        "legacy Qualtrics export: row 2 (metadata names, question text) skipped; columns "
        + ", ".join(f"{k} -> {v}" for k, v in renames.items())
    ]
    return RawTable(
        data=df.iloc[1:].rename(columns=renames).reset_index(drop=True),
        rows=np.asarray(table.rows)[1:],
        log=log,
        meta=meta,
    )


# Qualtrics "Status" codes for previews and tests in numeric exports (0 = a real response).
_PREVIEW_STATUS_CODES = {"1", "2", "9", "17"}


def preview_rows(df: pd.DataFrame) -> pd.Series:
    """Rows that are survey previews or tests: Status (text or numeric code) or channel."""
    mask = pd.Series(False, index=df.index)
    for col in ("Status", "DistributionChannel"):
        if col not in df.columns:
            continue
        v = df[col].astype(object).map(lambda x: str(x).strip().lower() if pd.notna(x) else "")
        mask |= v.str.contains("preview|test", regex=True)
        if col == "Status":
            mask |= v.isin(_PREVIEW_STATUS_CODES)
    return mask


def drop_preview_rows(table: RawTable, *, file: str) -> RawTable:
    """Drop preview/test responses, logging each as ``row_dropped``."""
    mask = preview_rows(table.data).to_numpy()
    if not mask.any():
        return table
    log = list(table.log)
    for i in np.flatnonzero(mask):
        status = _first_present(table.data.iloc[i], ("Status", "DistributionChannel"))
        log.append(
            log_entry(
                file, int(table.rows[i]), "Status", status,
                "qualtrics survey preview/test response (not a participant)", "row_dropped",
            )
        )  # fmt: skip
    keep = ~mask
    return RawTable(
        data=table.data[keep].reset_index(drop=True),
        rows=np.asarray(table.rows)[keep],
        log=log,
        meta=table.meta,
    )


def _first_present(row: pd.Series, cols: tuple[str, ...]) -> Any:
    for c in cols:
        if c in row.index and pd.notna(row[c]):
            return row[c]
    return None


def is_qualtrics_meta(meta: dict[str, Any]) -> bool:
    """True when a table's metadata says it came from a Qualtrics export."""
    return str(meta.get("format", "")).startswith("qualtrics")
