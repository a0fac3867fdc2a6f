"""Participant ids as text: render numbers without ".0", spot ids that lost leading zeros."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import config_name
from pipeline.text import number_text

_DIGITS = re.compile(r"^\d+$")


def id_to_text(v: Any) -> str | None:
    """One id as text: 12.0 -> "12", "0012" stays "0012", missing -> None."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, np.integer, float, np.floating)):
        return number_text(v)  # 1.7e38 stays "1.7e+38" (no invented digits)
    return str(v)


def ids_as_text(s: pd.Series) -> tuple[pd.Series, bool]:
    """Render an id column as strings; also say whether any id was stored as a number."""
    if pd.api.types.is_string_dtype(s) and s.dtype != object:
        return s, False  # text already (CSV): untouched
    values = s.tolist()
    numeric = any(
        isinstance(v, (int, float, np.number))
        and not isinstance(v, bool)
        and id_to_text(v) is not None
        for v in values
    )
    return pd.Series([id_to_text(v) for v in values], index=s.index, dtype=object), numeric


def detect_lost_leading_zeros(
    ids: Iterable[Any], reference_ids: Iterable[Any] | None = None
) -> bool:
    """Guess whether numeric ids lost their leading zeros (e.g. Excel turned "0012" into 12).

    Without ``reference_ids``: True when the digit-only ids mix zero-padded ids ("0012") with
    shorter ids that would match the padded width ("12"): the signature of a column partly
    converted to numbers. With ``reference_ids`` (e.g. the baseline's): True when some ids are
    absent from the reference but present once zero-padded to a reference id's width.
    Ids in one fixed-width format, or text ids, give False.
    """
    texts = _texts(ids)
    digits = texts[texts.str.fullmatch(r"\d+")]
    if digits.empty:
        return False
    if reference_ids is not None:
        ref = set(_texts(reference_ids))
        widths = {len(r) for r in ref if _DIGITS.match(r) and r.startswith("0")}
        for d in set(digits) - ref:
            if any(d.zfill(w) in ref for w in widths if w > len(d)):
                return True
        return False
    zero_led = digits.str.startswith("0")
    lengths = digits.str.len()
    padded = zero_led & (lengths > 1)
    if not padded.any():
        return False
    return bool(((lengths < lengths[padded].max()) & ~zero_led).any())


def lost_zeros_message(id_column: str, ids: Iterable[Any]) -> str:
    """Words for ids that lost their leading zeros, naming the id column and examples."""
    texts = _texts(ids)
    digits = texts[texts.str.fullmatch(r"\d+")]
    padded = digits[digits.str.startswith("0") & (digits.str.len() > 1)]
    width = int(padded.str.len().max()) if len(padded) else 0
    short = digits[(digits.str.len() < width) & ~digits.str.startswith("0")]
    ex = ", ".join(f"'{v}'" for v in list(dict.fromkeys(short))[:3])
    pad = ", ".join(f"'{v}'" for v in list(dict.fromkeys(padded))[:2])
    return (
        f"id column '{id_column}': ids such as {ex} look like ids that lost their leading "
        f"zeros (others are written {pad}); Excel does this when the column is a number. "
        f"Format the '{id_column}' column as Text in the workbook (or export as CSV) and check "
        f"that these ids match the other waves, or set id_pattern in {config_name()} (e.g. "
        f"'\\d{{{max(width, 1)}}}') to have them re-padded and logged."
    )


def _texts(ids: Iterable[Any]) -> pd.Series:
    """Ids as stripped text, missing removed (vectorised for text columns)."""
    if isinstance(ids, pd.Series) and pd.api.types.is_string_dtype(ids) and ids.dtype != object:
        return ids.dropna().astype(str).str.strip()
    return pd.Series([id_to_text(v) for v in ids], dtype=object).dropna().astype(str).str.strip()
