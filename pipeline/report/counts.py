"""The counts of people the report prints from the findings table and the analyst tables
(the findings' ``n_contributing`` / ``n_observed``, "People" of the primary estimand by
missing-data method and of the reliability table), printed as one output by
:func:`pipeline.disclosure.findings_counts`: beside the number who entered and who answered at
each wave (as the public flow prints them) and beside each other, no two printed counts differ
by 1 to ``min_cell - 1``; such a count is printed as a range ("621-629"), a small one as "<10".
The texts go into the tables as ``n_shown`` (the findings' count columns are replaced by
theirs), and the builders print those."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.disclosure import FINDINGS_COUNTS, findings_counts, flow_shown, published_counts

__all__ = ["print_counts", "quality_counts"]


def _estimand_wave(term: object) -> str:
    """The follow-up wave of the primary estimand ("mean change lon T0->T1" -> "T1")."""
    m = re.search(r"->\s*(\S+)\s*$", str(term))
    return m.group(1) if m else ""


def print_counts(findings: pd.DataFrame, tables: dict[str, pd.DataFrame], min_cell: int,
                 first_wave: str) -> pd.DataFrame:
    """The findings with their count columns as printed; adds ``n_shown`` to the
    ``missing_data_primary`` and ``reliability`` tables in ``tables`` (in place)."""
    extra: list[tuple[float, list[str]]] = []
    spans: dict[str, tuple[int, int]] = {}
    prim = tables.get("missing_data_primary")
    if prim is not None and {"n", "method"} <= set(prim.columns):
        start = len(extra)
        for r in prim.to_dict("records"):
            wave = _estimand_wave(r.get("term", ""))
            ws = [first_wave] + ([wave] if r["method"] == "complete_case" else [])
            extra.append((pd.to_numeric(r["n"], errors="coerce"), ws))
        spans["missing_data_primary"] = (start, len(extra))
    rel = tables.get("reliability")
    if rel is not None and {"n", "wave"} <= set(rel.columns):
        start = len(extra)
        extra += [(pd.to_numeric(n, errors="coerce"), [str(w)])
                  for n, w in zip(rel["n"], rel["wave"])]
        spans["reliability"] = (start, len(extra))
    rows, texts = findings_counts(findings.to_dict("records"), min_cell,
                                  tables.get("attrition_flow_public"), extra)
    out = findings.copy()
    for c in FINDINGS_COUNTS:
        out[c] = pd.Series([r[c] for r in rows], index=findings.index, dtype=object)
    for name, (a, b) in spans.items():
        tables[name] = tables[name].assign(n_shown=texts[a:b])
    return out


def quality_counts(shown: pd.DataFrame, min_cell: int,
                   flow_public: pd.DataFrame | None) -> pd.DataFrame:
    """The data-quality appendix's counts (``n``: numbers, or marks already) beside the number
    who entered and answered at each wave as the flow prints them (and as the table's own
    participants and rows kept print them): a count a few above or below one of those is
    printed as a range (633 ids normalised beside 630 entrants would give back
    the 3 duplicate rows the flow prints as "<10")."""
    exact, _ = flow_shown(flow_public)
    nums = {i: float(v) for i, v in shown["n"].items() if not isinstance(v, str) and pd.notna(v)}
    people = shown.get("measure", pd.Series(index=shown.index, dtype=object)).isin(
        ["participants", "rows_kept"])  # the entrants and answerers, as the flow prints them
    texts = published_counts(nums, min_cell, shown=[*exact.values(),
                                                    *(nums[i] for i in nums if people[i])])
    out = shown.copy()
    out["n"] = out["n"].astype(object)
    for i, t in texts.items():
        out.at[i, "n"] = t
    return out
