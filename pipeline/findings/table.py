"""The findings table's columns, one row builder, and tolerant readers of the wings' tables.

Column order is the contract in ``README.md`` (and /tmp BRIEF2). Inputs are other wings'
declared outputs; their columns may lag behind the contract while the wings evolve, so every
reader says which columns are missing instead of failing (the rows then carry a
``not_estimable`` status naming the table and the columns).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from pipeline.status import Status

__all__ = ["COLUMNS", "finding_row", "frame", "missing_columns", "num", "text", "flag"]

COLUMNS = [
    "finding_id", "kind", "role", "question", "estimand", "analysis", "construct", "wave",
    "term", "method", "estimate", "se", "ci_lower", "ci_upper", "ci_level", "ci_label", "pvalue",
    "n_contributing", "n_observed", "units", "scale_min", "scale_max", "effect_size",
    "effect_size_kind", "evidence", "caveats", "agrees_with_primary", "status", "message",
    "sentence", "headline",
]
NUMERIC = ["estimate", "se", "ci_lower", "ci_upper", "ci_level", "pvalue", "n_contributing",
           "n_observed", "scale_min", "scale_max", "effect_size"]


def finding_row(**values: object) -> dict[str, object]:
    """One findings row: every contract column present (numbers NaN, text "" when not given).

    ``status`` defaults to ``ok``; an unknown status value is a programming error.
    """
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise KeyError(f"finding_row: not findings columns: {sorted(unknown)}")
    row = {c: (math.nan if c in NUMERIC else "") for c in COLUMNS}
    row.update(values)
    row["status"] = Status(row["status"] or Status.OK).value
    return row


def frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """The findings table from rows, in contract column order (empty: just the header)."""
    df = pd.DataFrame(list(rows), columns=COLUMNS)
    for c in NUMERIC:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def missing_columns(df: pd.DataFrame | None, needed: Iterable[str]) -> list[str]:
    """Columns of ``needed`` that ``df`` lacks (all of them when ``df`` is None)."""
    needed = list(needed)
    return needed if df is None else [c for c in needed if c not in df.columns]


def num(row: Mapping[str, object], key: str, default: float = math.nan) -> float:
    """``row[key]`` as a float (NaN when absent, blank or not a number)."""
    try:
        v = float(row.get(key, default))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return v


def text(row: Mapping[str, object], key: str) -> str:
    """``row[key]`` as text ("" when absent or NaN)."""
    v = row.get(key, "")
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def flag(row: Mapping[str, object], key: str) -> bool:
    """A boolean cell written as True/False/1/0/yes/no (absent: False)."""
    v = row.get(key, False)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    try:
        return bool(v) and not (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):
        return False
