"""Text normalisation shared by the ingest and clean wings.

One rule decides when two spellings of an answer are the same (a label in the config's label
map and the text in an export, a categorical level, a missing-value word): compare after
:func:`norm_text`. The ingest checks and the cleaner both use it, so a text the ingest check
accepts is one the cleaner decodes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["EXACT_INT_LIMIT", "MISSING_TOKENS", "code_key", "missing_keys", "norm_label",
           "norm_text", "number_text", "number_texts"]  # fmt: skip

MISSING_TOKENS: frozenset[str] = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "none", "null", ".", "-", "#n/a", "missing"}
)
"""Cell texts meaning "no answer" (compared after :func:`norm_text`): blank, not an error.

The default of the config key ``cleaning.missing_words``; :func:`missing_keys` gives the set in
use."""


def missing_keys(words: Iterable[str] | None = None) -> frozenset[str]:
    """The "no answer" words in use, normalised (:func:`norm_label`): ``words`` (the config's
    ``cleaning.missing_words``) or :data:`MISSING_TOKENS` when ``None``.

    The empty text is always included: an empty cell is blank whatever the list says (a list
    without ``""`` would otherwise turn every empty cell into "not a number").
    """
    if words is None:
        return MISSING_TOKENS
    return frozenset({""} | {norm_label(w) for w in words})


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


def code_key(value: object) -> str:
    """The matching key of an answer, a level, a level-map key or a value-label code.

    :func:`norm_label`, except that a number is reduced to its written form, so the code 2 is
    the same answer whether it is the number ``2``, the float ``2.0`` (SPSS), the text ``"2.0"``
    (a value-label key in JSON) or ``" 2 "`` (a CSV cell): ``"2"``. Booleans and non-finite
    numbers are not codes and keep their text.
    """
    if isinstance(value, bool | np.bool_):
        return norm_label(value)
    if isinstance(value, int | float | np.integer | np.floating):
        f = float(value)
        return number_text(f) if math.isfinite(f) else norm_label(value)
    text = norm_label(value)
    if "_" in text:
        return text  # float() reads "1_000" as 1000; an answer written so is not a code
    try:
        f = float(text)
    except ValueError:
        return text
    if not math.isfinite(f) or text in {"nan", "inf", "-inf", "infinity", "-infinity"}:
        return text
    return number_text(f)
