"""Read one evaluator's file for ``socialcure init`` (:mod:`pipeline.ingest.starter`) with the
ingest readers: ``formats`` decides what the file is, then ``csv_reader``, ``excel_reader`` or
``stat_reader`` reads every column (header located as ingest does), and ``qualtrics`` strips a
Qualtrics export's extra header rows. Nothing is parsed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import InputFileError

from . import qualtrics
from .csv_reader import read_csv_table
from .excel_reader import read_xlsx_table
from .formats import resolve_format
from .longfile import REDCAP_EVENT
from .stat_reader import read_stat_table

__all__ = ["FileProfile", "profile_file", "present"]


@dataclass
class FileProfile:
    """What one file holds, as the ingest readers read it (the frame stays in memory)."""

    path: Path
    format: str
    frame: pd.DataFrame
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    variable_labels: dict[str, str] = field(default_factory=dict)
    user_missing: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    qualtrics: bool = False
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    @property
    def events(self) -> list[str]:
        """REDCap event names in order of first appearance (empty for a one-wave file)."""
        if REDCAP_EVENT not in self.frame.columns:
            return []
        return list(dict.fromkeys(str(v).strip() for v in self.frame[REDCAP_EVENT].dropna()))


def profile_file(path: str | Path) -> FileProfile:
    """Read one export with the ingest readers (all columns, header located as ingest does)."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "no such file"
        raise InputFileError(f"{path}: {what}. Name the survey exports to read, e.g. "
                             "socialcure init data/raw/*.csv --out config/my_study.yaml.")
    reader, kind = resolve_format(path, "auto", wave_id="(init)")
    notes: list[str] = []
    if reader == "csv":
        table = read_csv_table(path, id_column=None)
    elif reader == "xlsx":
        table = read_xlsx_table(path, id_column="\x00")  # no id known yet: the first sheet
        sheets = table.meta.get("sheets", [])
        if len(sheets) > 1:
            notes.append(f"workbook has sheets {sheets}; read '{table.meta['sheet']}' (set the "
                         "wave's 'sheet' if the responses are on another)")
    else:
        table = read_stat_table(path, kind)
    is_q = qualtrics.is_qualtrics(table)
    if is_q:
        table = qualtrics.strip_header_rows(table, file=path.name)
    meta = table.meta
    labels = dict(meta.get("variable_labels") or {})
    labels.update(meta.get("question_text") or {})
    return FileProfile(
        path=path, format=meta.get("format") or reader, frame=table.data,
        value_labels=meta.get("value_labels") or {}, variable_labels=labels,
        user_missing=meta.get("user_missing") or {}, qualtrics=is_q, sheet=meta.get("sheet"),
        notes=notes,
    )


def present(s: pd.Series) -> pd.Series:
    """The non-missing, non-blank values of a column."""
    out = s.dropna()
    if out.dtype == object:
        out = out[out.map(lambda v: not (isinstance(v, str) and not v.strip()))]
    return out
