"""The findings table as it may be published (``findings_public.csv``).

Counts (``n_contributing``, ``n_observed``) go through :func:`pipeline.disclosure.format_count`
(``"<10"`` below ``disclosure.min_cell``); a participation row whose count is hidden also hides
its percentage and interval (``"[c]"``), since a percentage of a known denominator gives the
count back. Sentences are built from the public attrition table and formatted counts already
(:mod:`pipeline.findings.sentences`), and so are the headlines
(:mod:`pipeline.findings.headlines`); both are published as they are.
"""

from __future__ import annotations

import pandas as pd

from pipeline.disclosure import SECONDARY_MARK, format_count, is_small

__all__ = ["public_findings"]


def public_findings(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Copy of the findings table safe to publish (see module docstring)."""
    out = table.copy()
    for c in ("n_contributing", "n_observed"):
        out[c] = [format_count(v, min_cell) if pd.notna(v) else "" for v in table[c]]
    small = (table["kind"] == "participation") & (
        is_small(table["n_observed"], min_cell) | is_small(table["n_contributing"], min_cell))
    for c in ("estimate", "ci_lower", "ci_upper"):
        out[c] = out[c].astype(object)
        out.loc[small, c] = SECONDARY_MARK
    return out
