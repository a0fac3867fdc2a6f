"""Recognise Qualtrics exports and strip what is not survey data.

A Qualtrics CSV/XLSX export has two extra header rows (question text; ``{"ImportId": ...}``),
metadata columns, possibly "Survey Preview" test responses, and personal data (IP address,
names, e-mail, location) that must never enter the pipeline.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .result import RawTable, log_entry

METADATA_COLUMNS = (
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage",
)  # fmt: skip
# Never passed on, whatever the configuration says (unless it is the id column).
PRIVATE_COLUMNS = (
    "IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
    "LocationLatitude", "LocationLongitude",
)  # fmt: skip
DATE_COLUMNS = ("StartDate", "EndDate", "RecordedDate")
_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"\s*:')


def is_qualtrics(table: RawTable) -> bool:
    """True when the second data row holds ``{"ImportId": ...}`` cells (Qualtrics' 3rd row)."""
    df = table.data
    if len(df) < 2:
        return False
    row = df.iloc[1].dropna().astype(str)
    hits = row.str.match(_IMPORT_ID).sum()
    return bool(hits >= max(1, len(row) // 2))


def strip_header_rows(table: RawTable, *, file: str) -> RawTable:
    """Remove Qualtrics' question-text and ImportId rows (logged as skipped, not data rows)."""
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
