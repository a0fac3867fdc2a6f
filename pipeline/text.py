"""Text normalisation shared by the ingest and clean wings.

One rule decides when two spellings of an answer are the same (a label in the config's label
map and the text in an export, a categorical level, a missing-value word): compare after
:func:`norm_text`. The ingest checks and the cleaner both use it, so a text the ingest check
accepts is one the cleaner decodes.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["MISSING_TOKENS", "norm_label", "norm_text"]

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
