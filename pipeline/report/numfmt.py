"""Numbers as the report prints them: one formatter, so text, tables and tests agree.

Precision follows the scale's range (Cole 2015, "Too many digits", Ann Clin Biochem 52:159): a
range of 20 or more points gets one decimal (EQ VAS 0-100), a shorter one two decimals (1-7
means). Values smaller than 0.1 in absolute size get two significant digits so that small
per-unit effects do not print as 0.00. Negative numbers use the true minus sign U+2212.
Counts go through :func:`pipeline.disclosure.format_count` (small counts become "<10").
A value that does not exist (not estimated, not applicable) is the dash :data:`NO_VALUE`, never
"NA": a funder reads the table, not the data frame.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.disclosure import format_count
from pipeline.wording import lower_first as in_sentence  # a label inside a sentence

__all__ = ["MINUS", "NO_VALUE", "digits_for", "fmt_num", "fmt_ci", "fmt_p", "fmt_count", "fmt_pct",
           "parse_num", "is_missing", "in_sentence"]

MINUS = "\u2212"
NO_VALUE = "\u2014"  # a cell without a value (not estimated or not applicable)


def is_missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (
        isinstance(x, str) and x.strip() == "") or (not isinstance(x, str) and pd.isna(x))


def digits_for(scale_min: object = None, scale_max: object = None) -> int:
    """Decimals for estimates on a scale from ``scale_min`` to ``scale_max`` (1 if the range is
    20 or more, else 2; 2 when the range is unknown)."""
    if is_missing(scale_min) or is_missing(scale_max):
        return 2
    return 1 if float(scale_max) - float(scale_min) >= 20 else 2


def fmt_num(x: object, digits: int = 2) -> str:
    """``x`` rounded to ``digits`` decimals (2 significant digits if |x| < 0.1), minus sign
    U+2212; :data:`NO_VALUE` when missing."""
    if is_missing(x):
        return NO_VALUE
    v = float(x)
    if v != 0 and abs(v) < 0.1:
        text = f"{v:.2g}"
        if "e" in text:
            text = f"{v:.{max(digits, 1 - int(math.floor(math.log10(abs(v)))))}f}"
    else:
        text = f"{v:.{digits}f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return text.replace("-", MINUS)


def fmt_ci(lo: object, hi: object, digits: int = 2) -> str:
    """"lo to hi" (:data:`NO_VALUE` when either is missing)."""
    if is_missing(lo) or is_missing(hi):
        return NO_VALUE
    return f"{fmt_num(lo, digits)} to {fmt_num(hi, digits)}"


def fmt_p(p: object) -> str:
    """p-value as "<0.001" or two significant digits."""
    if is_missing(p):
        return NO_VALUE
    v = float(p)
    return "<0.001" if v < 0.001 else f"{v:.2g}"


def fmt_count(n: object, min_cell: int) -> str:
    """A count, or "<min_cell" when small; a suppression mark in the table is kept."""
    if isinstance(n, str) and not n.replace(".", "", 1).isdigit():
        return n.strip() or NO_VALUE
    if is_missing(n):
        return NO_VALUE
    return format_count(float(n), min_cell)


def fmt_pct(x: object, digits: int = 0) -> str:
    """A percentage ("28%"); a suppression mark is kept."""
    if isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            return x
    if is_missing(x):
        return NO_VALUE
    return f"{float(x):.{digits}f}%"


def parse_num(text: str) -> float:
    """Inverse of :func:`fmt_num` for tests and checks (minus sign U+2212 accepted)."""
    return float(text.replace(MINUS, "-"))

