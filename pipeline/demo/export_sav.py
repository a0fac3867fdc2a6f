"""SPSS .sav writer (T2 wave file): value labels, user-missing -99 "Refused", variable labels,
measurement levels and formats, and a fixed header timestamp (byte-reproducible)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.demo.defects import DEFECT_PLAN
from pipeline.demo.layout import (
    AGREE7,
    DATE_COLUMN,
    GENDER_LEVELS,
    ID_COLUMN,
    LIKERT7_ITEMS,
    REVERSE_ITEMS,
    SCALE_ITEMS,
    UCLA3,
    UCLA_ITEMS,
    USER_MISSING_CODE,
    USER_MISSING_LABEL,
)

__all__ = ["SavSpec", "demo_sav_spec", "write_sav"]

FILE_LABEL = "Social Cure demo study, T2 (synthetic)"


def _value_labels(frame: pd.DataFrame) -> tuple[dict[str, dict], dict[str, list]]:
    """Value labels per column and the declared user-missing codes (T2 defect plan)."""
    agree = {float(i + 1): lab for i, lab in enumerate(AGREE7)}
    ucla = {float(i + 1): lab for i, lab in enumerate(UCLA3)}
    labels: dict[str, dict] = {}
    for col in LIKERT7_ITEMS:
        labels[col] = dict(agree)
    for col in UCLA_ITEMS:
        labels[col] = dict(ucla)
    if "gender" in frame.columns:
        labels["gender"] = {float(i + 1): lab for i, lab in enumerate(GENDER_LEVELS)}
    missing: dict[str, list] = {}
    for col, _count in DEFECT_PLAN["T2"].get("user_missing", []):
        labels.setdefault(col, {})[USER_MISSING_CODE] = USER_MISSING_LABEL
        missing[col] = [USER_MISSING_CODE]
    return labels, missing


def _column_labels(frame: pd.DataFrame) -> dict[str, str]:
    column_labels = {
        ID_COLUMN: "Participant id",
        DATE_COLUMN: "Date questionnaire completed",
        "gender": "Gender",
        "eq_vas": "EQ VAS: your health today (0-100)",
    }
    for scale, items in SCALE_ITEMS.items():
        for i, it in enumerate(items, 1):
            column_labels.setdefault(
                it,
                f"{scale.replace('_', ' ').capitalize()} item {i}"
                + (" (reverse keyed)" if it in REVERSE_ITEMS else ""),
            )
    return {k: v for k, v in column_labels.items() if k in frame.columns}


def _measures_and_formats(frame: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    measure = {c: "ordinal" for c in LIKERT7_ITEMS + UCLA_ITEMS}
    measure.update({"eq_vas": "scale", ID_COLUMN: "nominal"})
    fmt = {c: "F1.0" for c in LIKERT7_ITEMS + UCLA_ITEMS}
    fmt["eq_vas"] = "F3.0"
    if "gender" in frame.columns:
        measure["gender"] = "nominal"
        fmt["gender"] = "F1.0"
    return measure, fmt


def _fix_header_time(path: Path, stamp: dt.datetime) -> None:
    """The header holds the write time: creation date (9 bytes at offset 92), time (8 at 101)."""
    data = bytearray(Path(path).read_bytes())
    if data[:4] != b"$FL2":
        raise RuntimeError("unexpected .sav header; cannot fix its timestamp")
    data[92:101] = stamp.strftime("%d %b %y").encode("ascii")
    data[101:109] = stamp.strftime("%H:%M:%S").encode("ascii")
    Path(path).write_bytes(bytes(data))


@dataclass(frozen=True)
class SavSpec:
    """What another study's .sav declares (default: the demo's, from its layout)."""

    value_labels: dict[str, dict]
    user_missing: dict[str, list]
    column_labels: dict[str, str]
    measure: dict[str, str]
    formats: dict[str, str]
    file_label: str


def demo_sav_spec(frame: pd.DataFrame) -> SavSpec:
    """The demo's value labels, user-missing codes, column labels, measures and formats."""
    labels, missing = _value_labels(frame)
    measure, fmt = _measures_and_formats(frame)
    return SavSpec(labels, missing, _column_labels(frame), measure, fmt, FILE_LABEL)


def write_sav(
    frame: pd.DataFrame, path: Path, stamp: dt.datetime, spec: SavSpec | None = None
) -> None:
    """SPSS .sav with value labels, user-missing -99 and a fixed header timestamp."""
    import pyreadstat

    spec = spec or demo_sav_spec(frame)
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=spec.file_label,
        column_labels=spec.column_labels,
        variable_value_labels=spec.value_labels,
        missing_ranges=spec.user_missing,
        variable_measure=spec.measure,
        variable_format=spec.formats,
    )
    _fix_header_time(path, stamp)
