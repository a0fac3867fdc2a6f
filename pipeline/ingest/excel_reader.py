"""Read an Excel workbook (.xlsx) into a :class:`RawTable`.

The header row is the first row that contains the id column (title rows above it are skipped
and noted); the sheet is the configured one, else the only sheet holding the id column. Values
are the stored cell values (numbers, text, dates); row numbers are Excel's. A legacy Qualtrics
workbook (row 1 ``V1``..``V10``, row 2 ``ResponseID``...) has row 1 as its header, as the CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd

from pipeline.errors import InputFileError, closest_names, config_name

from .columns import refuse_duplicates
from .qualtrics import looks_legacy_rows
from .result import RawTable


def _norm(v: Any) -> str:
    return str(v).strip().lower() if v is not None else ""


def _header_row(rows: list[tuple], id_column: str, max_scan: int = 50) -> int | None:
    """0-based index of the first row holding ``id_column`` (exact, then case-insensitive)."""
    target = id_column.strip().lower()
    for i, row in enumerate(rows[:max_scan]):
        if any(_norm(v) == target for v in row):
            return i
    return None


def _load_sheets(path: Path) -> dict[str, list[tuple]]:
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for damaged files
        raise InputFileError(
            f"{path.name}: the workbook cannot be opened ({type(exc).__name__}: {exc}). It may be "
            "damaged or password-protected: open it in Excel, save a new copy and run again."
        ) from None
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


def choose_sheet(
    sheets: dict[str, list[tuple]], id_column: str, sheet: str | int | None, *, file: str
) -> str:
    """The sheet to read: the configured one, else the only sheet holding the id column."""
    names = list(sheets)
    if sheet is not None:
        if isinstance(sheet, int):
            if 0 <= sheet < len(names):
                return names[sheet]
            raise InputFileError(
                f"{file}: sheet number {sheet} does not exist (the workbook has {len(names)} "
                f"sheet(s): {', '.join(names)}; numbers start at 0). Fix the wave's 'sheet'."
            )
        if sheet in sheets:
            return sheet
        close = closest_names(str(sheet), names)
        raise InputFileError(
            f"{file}: no sheet named '{sheet}'. Sheets: {', '.join(names)}"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + f". Fix the wave's 'sheet' in {config_name()}."
        )
    with_id = [n for n in names if _header_row(sheets[n], id_column) is not None]
    if len(with_id) == 1:
        return with_id[0]
    if not with_id:
        return names[0]  # the id check later names the missing column
    raise InputFileError(
        f"{file}: several sheets contain the id column '{id_column}': {', '.join(with_id)}. Set "
        f"'sheet' for this wave in {config_name()} to the sheet holding the responses."
    )


def read_xlsx_table(path: Path, *, id_column: str, sheet: str | int | None = None) -> RawTable:
    """Read the chosen sheet of a workbook, header located by the id column."""
    file = path.name
    sheets = _load_sheets(path)
    if not sheets:
        raise InputFileError(f"{file}: the workbook has no worksheets. Export again.")
    name = choose_sheet(sheets, id_column, sheet, file=file)
    rows = sheets[name]
    notes: list[str] = []
    nonempty = [
        i for i, r in enumerate(rows) if any(v is not None and str(v).strip() != "" for v in r)
    ]
    if not nonempty:
        raise InputFileError(
            f"{file}: sheet '{name}' is empty (no header, no data). Export the wave again."
        )
    legacy = len(nonempty) > 1 and looks_legacy_rows(rows[nonempty[0]], rows[nonempty[1]])
    h = nonempty[0] if legacy else _header_row(rows, id_column)  # legacy: row 2 names the id
    if h is None:
        h = nonempty[0]  # no id column: the caller's id check names the problem
    elif h > 0:
        notes.append(f"header found on Excel row {h + 1}; {h} row(s) above it skipped")
    header = list(rows[h])
    while header and (header[-1] is None or str(header[-1]).strip() == ""):
        header.pop()
    names = [
        str(v).strip() if v is not None and str(v).strip() != "" else f"Unnamed: {i}"
        for i, v in enumerate(header)
    ]
    refuse_duplicates(names, file=file, where=f"header (sheet '{name}', row {h + 1})")
    last = max(nonempty)
    body = rows[h + 1 : last + 1]
    width = len(names)
    wide = [i for i, r in enumerate(body) if any(v is not None for v in r[width:])]
    if wide:
        notes.append(
            f"{len(wide)} row(s) have values right of the last named column (ignored; first: "
            f"Excel row {h + 2 + wide[0]})"
        )
    padded = [
        tuple(None if isinstance(v, str) and v == "" else v for v in r[:width])
        + (None,) * (width - len(r[:width]))
        for r in body
    ]
    df = pd.DataFrame(padded, columns=names, dtype=object)
    if len(rows) > last + 1:
        notes.append(f"{len(rows) - last - 1} empty row(s) at the end of the sheet ignored")
    meta = {
        "format": "xlsx",
        "sheet": name,
        "sheets": list(sheets),
        "header_row": h + 1,
        "notes": notes,
    }
    if legacy:
        meta["qualtrics_legacy"] = True
    return RawTable(data=df, rows=np.arange(h + 2, last + 2), log=[], meta=meta)
