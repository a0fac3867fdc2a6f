"""Read SPSS (.sav/.zsav) and Stata (.dta) files with their value labels and missing codes.

Files are read with ``user_missing=True`` so declared user-missing codes (SPSS ``-99 'Refused'``,
Stata ``.a``) are *seen*; :func:`apply_user_missing` then sets them missing and logs each cell,
so a code such as -99 can never be averaged into a score.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat

from pipeline.errors import InputFileError
from pipeline.text import number_text

from .result import RawTable, log_entry


def read_stat_table(path: Path, kind: str) -> RawTable:
    """Read a .sav/.zsav (``kind`` 'sav'/'zsav') or .dta (``kind`` 'dta') file, every column."""
    reader = pyreadstat.read_dta if kind == "dta" else pyreadstat.read_sav
    try:
        df, meta = reader(str(path), user_missing=True)
    except Exception as exc:  # noqa: BLE001 - pyreadstat raises many types for damaged files
        raise InputFileError(
            f"{path.name}: cannot read this {'Stata' if kind == 'dta' else 'SPSS'} file "
            f"({type(exc).__name__}: {exc}). It may be damaged or truncated: save it again from "
            "the statistics program and run again."
        ) from None
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].astype(object).where(df[col].astype(object) != "", np.nan)
    user_missing: dict[str, list[dict[str, Any]]] = {
        col: [dict(r) for r in ranges] for col, ranges in (meta.missing_ranges or {}).items()
    }
    for col, codes in (getattr(meta, "missing_user_values", None) or {}).items():
        user_missing.setdefault(col, []).extend({"lo": c, "hi": c} for c in codes)
    out_meta = {
        "format": "dta" if kind == "dta" else "sav",
        "value_labels": {c: dict(v) for c, v in (meta.variable_value_labels or {}).items()},
        "variable_labels": dict(zip(meta.column_names, meta.column_labels or [])),
        "user_missing": user_missing,
        "encoding": getattr(meta, "file_encoding", None),
        "header_row": None,
        "notes": [],
    }
    return RawTable(data=df, rows=np.arange(1, len(df) + 1), log=[], meta=out_meta)


def _tagged_missing(s: pd.Series) -> pd.Series:
    """Stata extended missing values read as letters ('a'..'z') in a numeric column."""
    if s.dtype != object:
        return pd.Series(False, index=s.index)
    is_letter = s.map(lambda v: isinstance(v, str) and len(v) == 1 and v.isalpha() and v.islower())
    is_number = s.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
    numeric_column = bool(is_number.any()) and bool((is_number | s.isna() | is_letter).all())
    return is_letter if numeric_column else is_letter & False


def apply_user_missing(
    df: pd.DataFrame,
    rows: np.ndarray,
    user_missing: dict[str, list[dict[str, Any]]],
    value_labels: dict[str, dict[Any, str]],
    *,
    file: str,
    columns: list[str],
    stata: bool = False,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Set declared user-missing codes to missing in ``columns``; one log record per cell.

    With ``stata``, letters ('a'-'z', Stata's extended missing .a-.z) in an otherwise numeric
    column are missing too, declared or not. The issue reads ``user_missing: <value label>``
    (or the code when it has no label).
    """
    log: list[dict[str, Any]] = []
    for col in columns:
        s = df[col]
        mask = pd.Series(False, index=s.index)
        numeric = pd.to_numeric(s, errors="coerce") if s.dtype == object else s
        for r in user_missing.get(col, []):
            lo, hi = r.get("lo"), r.get("hi")
            if isinstance(lo, str) or isinstance(hi, str):
                mask |= s.isin([lo, hi])
            elif pd.api.types.is_numeric_dtype(numeric):
                mask |= (numeric >= lo) & (numeric <= hi)
            else:
                mask |= s.isin([lo, hi])
        if stata:
            mask |= _tagged_missing(s)
        if not mask.any():
            continue
        labels = value_labels.get(col, {})
        for i in np.flatnonzero(mask.to_numpy()):
            v = s.iloc[i]
            label = labels.get(v, None)
            if label is None and isinstance(v, str):
                label = f".{v}"
            shown = show_code(v)
            log.append(
                log_entry(
                    file, int(rows[i]), col, shown, f"user_missing: {label or shown}", "set_missing"
                )
            )
        df[col] = s.astype(object).where(~mask, np.nan) if s.dtype == object else s.where(~mask)
    return df, log


def show_code(v: Any) -> str:
    """A code as written (``99.0`` -> ``"99"``; ``1.7e38`` stays ``"1.7e+38"``)."""
    return number_text(v)
