"""Make a ReadResult's data storable as Parquet without changing single-typed columns."""

from __future__ import annotations

import datetime as dt
import math
import numbers

import pandas as pd


def _kind(v: object) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, numbers.Number):
        return "number"
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return "datetime"
    return "text"


def parquet_safe(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Object columns mixing kinds (e.g. numbers and text in one Excel column) become text.

    Parquet needs one type per column. Numbers are written without a spurious ".0" for
    integers; missing stays missing. Returns the new frame and the converted column names
    (record them in the ingest meta).
    """
    out = df.copy()
    converted = []
    for col in out.columns:
        s = out[col]
        if s.dtype != object:
            continue
        kinds = {k for k in map(_kind, s.tolist()) if k is not None}
        if len(kinds) <= 1:
            continue
        out[col] = pd.Series(
            [None if _kind(v) is None else _text(v) for v in s.tolist()],
            index=s.index,
            dtype=object,
        )
        converted.append(str(col))
    return out, converted


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.isoformat()
    return str(v)
