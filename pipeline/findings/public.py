"""The findings table as it may be published (``findings_public.csv``).

Counts (``n_contributing``, ``n_observed``) are printed as
:func:`pipeline.disclosure.findings_counts` gives them, here, in every sentence
(:mod:`pipeline.findings.sentences`) and in the report: the participation rows as the public
attrition flow prints them; the other counts all together, beside the number who entered and
who answered at each wave as the flow shows them: ``"<10"`` below ``disclosure.min_cell``, and a
range ("621-629") where a count would differ from one printed beside it by 1 to
``min_cell - 1`` (12 entrants and "11 people" in a mixed model give back the one person without
an age). A participation row whose count is not printed exactly also hides its percentage and
interval (``"[c]"``), since a percentage of a known denominator gives the count back. A wing's
``message`` prints the row's counts as the table does ("n = 169-177 of 630"). Headlines
are built from the public attrition table already (:mod:`pipeline.findings.headlines`).
Estimates, intervals, SEs, effect sizes and p-values are rounded as the report prints them
(:func:`_rounded`): full precision would give back sizes printed as ranges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.disclosure import (
    FINDINGS_COUNTS,
    SECONDARY_MARK,
    findings_counts,
    is_number,
    is_small,
)
from pipeline.wording import bound_decimals, finding_decimals

__all__ = ["count_texts", "public_findings"]


def count_texts(rows: Sequence[Mapping[str, object]], min_cell: int,
                flow_public: pd.DataFrame | None = None) -> list[dict[str, str]]:
    """For every row, ``{"n_contributing": text, "n_observed": text}`` as published (see the
    module notes); "" for a missing count."""
    return findings_counts(rows, min_cell, flow_public)[0]


def _message(row: Mapping[str, object], texts: Mapping[str, str]) -> object:
    """A wing's message with the row's counts as published ("complete cases n = 171 of 630"
    -> "n = 169-177 of 630"): a message prints them as the table does."""
    msg = row.get("message")
    if not isinstance(msg, str):
        return msg
    for c in FINDINGS_COUNTS:
        v = pd.to_numeric(row.get(c), errors="coerce")
        if pd.isna(v) or texts[c] == f"{v:.0f}" or not texts[c]:
            continue
        n = f"{v:.0f}"
        msg = re.sub(rf"\bn = {n}(?![\d.])", f"n = {texts[c]}", msg)
        msg = re.sub(rf"(?<![\w.\-]){n}(?= (?:people|of|answered|with)\b)", texts[c], msg)
    return msg


def public_findings(table: pd.DataFrame, min_cell: int,
                    flow_public: pd.DataFrame | None = None,
                    scores: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Copy of the findings table safe to publish (see module docstring)."""
    out = table.copy()
    texts = count_texts(table.to_dict("records"), min_cell, flow_public)
    for c in FINDINGS_COUNTS:
        out[c] = pd.Series([t[c] for t in texts], index=table.index, dtype=object)
    out["message"] = [_message(r, t) for r, t in zip(table.to_dict("records"), texts)]
    shown_n = pd.Series([t["n_observed"] for t in texts], index=table.index, dtype=object)
    small = (table["kind"] == "participation") & (
        is_small(table["n_observed"], min_cell) | is_small(table["n_contributing"], min_cell)
        | ~shown_n.str.fullmatch(r"\d+"))
    for c in ("estimate", "ci_lower", "ci_upper"):
        out[c] = out[c].astype(object)
        out.loc[small, c] = SECONDARY_MARK
    return _rounded(out, scores)


def _rounded(out: pd.DataFrame, scores: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The statistics as the report prints them (:func:`pipeline.wording.finding_decimals` of
    the row, ``scores``: scale -> scoring rule: estimate, interval, SE with one more decimal;
    effect sizes 2 decimals; p-values 2 significant digits; no SE or p-value where a count of
    the row is printed as a range). At full precision a statistic of a group whose size is
    printed as a range gives the size back: a complete-case mean change of whole EQ VAS
    points, -2.230769231 = -58/26, fits only n = 26 of "19-27", and an effect size gives the SD (an
    attack on a 40-person study)."""
    out = out.copy()
    for c in ("estimate", "ci_lower", "ci_upper", "se", "effect_size", "pvalue"):
        if c in out.columns:
            out[c] = out[c].astype(object)
    for i, r in out.iterrows():
        d = finding_decimals(r.to_dict(), scores)
        dlo, dhi = (bound_decimals(float(r["ci_lower"]), float(r["ci_upper"]), d)
                    if is_number(r.get("ci_lower")) and is_number(r.get("ci_upper")) else (d, d))
        for c, digits in (("estimate", d), ("ci_lower", dlo), ("ci_upper", dhi), ("se", d + 1),
                          ("effect_size", 2)):
            if c in out.columns and is_number(r.get(c)):
                out.at[i, c] = round(float(r[c]), digits)
        if "pvalue" in out.columns and is_number(r.get("pvalue")):
            out.at[i, "pvalue"] = float(f"{float(r['pvalue']):.2g}")
        if any(isinstance(r.get(c), str) and not r.get(c).isdigit() for c in FINDINGS_COUNTS
               if r.get(c) != ""):  # n printed as a range: (upper - lower) / (2 SE) is the t
            # quantile of n - 1 df, and so gives n back (a third attack, on a 25-person study)
            for c in ("se", "pvalue"):
                if c in out.columns and is_number(r.get(c)):
                    out.at[i, c] = SECONDARY_MARK
    return out
