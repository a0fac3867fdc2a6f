"""Text normalisation shared by the ingest and clean wings.

One rule decides when two spellings of an answer are the same (a label in the config's label
map and the text in an export, a categorical level, a missing-value word): compare after
:func:`norm_text`. The ingest checks and the cleaner both use it, so a text the ingest check
accepts is one the cleaner decodes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["EXACT_INT_LIMIT", "MISSING_TOKENS", "norm_label", "norm_text", "number_text",
           "number_texts"]  # fmt: skip

MISSING_TOKENS: frozenset[str] = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "none", "null", ".", "-", "#n/a", "missing"}
)
"""Cell texts meaning "no answer" (compared after :func:`norm_text`): blank, not an error."""


def norm_text(s: pd.Series) -> pd.Series:
    """Strip, collapse inner white space to one space and case-fold (``string`` dtype).

    ``"  Strongly   AGREE "`` -> ``"strongly agree"``; missing cells stay missing.
    """
    return s.astype("string").str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()


def norm_label(text: object) -> str:
    """:func:`norm_text` of one value (a label-map key or a configured level)."""
    return " ".join(str(text).split()).casefold()


EXACT_INT_LIMIT = 2.0**53
"""Integral floats below this in size are whole numbers exactly (every digit is meaningful)."""


def number_text(v: Any) -> str:
    """A number as written, for logs and messages: ``99.0`` -> ``"99"``, ``1001`` -> ``"1001"``.

    Floats too large to be exact integers (beyond 2**53, e.g. Stata/SPSS fill values such as
    ``1.7e38`` or ``-1.797e308``) keep their shortest float text (``"1.7e+38"``): they are never
    cast to int64 (which would log ``-9223372036854775808``) nor spelled out with invented digits.
    Non-finite values give ``"nan"``/``"inf"``; anything else is ``str(v)``.
    """
    if isinstance(v, bool | np.bool_):
        return str(v)
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isfinite(f) and f.is_integer() and abs(f) < EXACT_INT_LIMIT:
            return str(int(f))
        return repr(f)
    return str(v)


def number_texts(num: pd.Series) -> pd.Series:
    """:func:`number_text` of a numeric column (vectorised; missing stays missing, ``string``)."""
    f = num.astype(float)
    text = f.astype("string")
    exact = (f.notna() & np.isfinite(f) & (np.floor(f) == f) & (f.abs() < EXACT_INT_LIMIT))
    text[exact.to_numpy()] = f[exact].astype("int64").astype("string")
    return text.mask(f.isna())
