"""The scheme table: every scheme with its n at entry and how many answered at each wave.

Analyst table (``pooled_schemes.csv``): one row per scheme and wave, ``responded`` (people who
answered at the wave among those who entered: ``responded_<wave>`` of the scheme's clean wide
data, whose rows are the entrants) and ``pct_entry``; one ``All schemes`` row per wave id: the
total over the schemes that have that wave (``schemes`` says how many).

Public copy (``pooled_schemes_public.csv``), by the rule used everywhere
(:mod:`pipeline.disclosure`):

* A scheme's counts are printed as its own public attrition flow prints them
  (``attrition_flow_public.csv``, ``responded``) when the scheme has one, so that no reader of
  both learns more than either says. Without it (attrition not run for the scheme) its counts
  go through :func:`pipeline.disclosure.published_counts` (nested: the people answering at a
  wave are among the entrants): "<10" below ``min_cell``, and a count a few short of the
  entrants printed as the range that "fewer than ``min_cell`` short" allows.
* A total is printed exactly only when each of its terms is; else as the range the printed
  terms allow (sum of the lower ends to sum of the upper ends), or ``[c]`` when a term is
  unbounded: it then says nothing the scheme rows do not.
* Percentages go with their counts: exact counts give a percentage, a range of counts a range
  of percentages, "<10" "under x%" (:func:`pipeline.disclosure.safe_percent`), ``[c]`` else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.disclosure import (
    SECONDARY_MARK,
    flow_shown,
    published_counts,
    range_text,
    safe_percent,
    small_mark,
)

__all__ = ["ALL", "SCHEME_COLUMNS", "scheme_counts", "public_schemes", "text_bounds"]

ALL = "All schemes"
SCHEME_COLUMNS = ["scheme", "title", "wave", "wave_label", "wave_index", "entered", "responded",
                  "pct_entry", "schemes"]


def scheme_counts(wides: Mapping[str, pd.DataFrame], info: Mapping[str, dict]) -> pd.DataFrame:
    """The analyst scheme table (see the module notes). ``info[scheme]`` has ``title`` and
    ``waves`` (``[[id, label], ...]`` in order)."""
    rows = []
    for scheme, wide in wides.items():
        n = len(wide)
        for i, (wave, label) in enumerate(info[scheme]["waves"]):
            col = f"responded_{wave}"
            r = int(wide[col].fillna(False).astype(bool).sum()) if col in wide else np.nan
            rows.append({"scheme": scheme, "title": info[scheme]["title"], "wave": wave,
                         "wave_label": label, "wave_index": i, "entered": n, "responded": r,
                         "pct_entry": 100 * r / n if n else np.nan, "schemes": 1})
    table = pd.DataFrame(rows, columns=SCHEME_COLUMNS)
    totals = []
    for wave, g in table.groupby("wave", sort=False):
        entered, resp = g["entered"].sum(), g["responded"].sum(min_count=1)
        totals.append({"scheme": ALL, "title": "", "wave": wave, "wave_label": "",
                       "wave_index": int(g["wave_index"].min()), "entered": entered,
                       "responded": resp, "pct_entry": 100 * resp / entered if entered else
                       np.nan, "schemes": len(g)})
    return pd.concat([table, pd.DataFrame(totals, columns=SCHEME_COLUMNS)], ignore_index=True)


def text_bounds(text: object, min_cell: int) -> tuple[float, float]:
    """What a reader learns of a count from its printed text: the count, ``(1, min_cell - 1)``
    for "<10", ``(a, b)`` for a range "a-b", ``(0, inf)`` for "[c]" or anything else."""
    t = str(text).strip()
    if t == small_mark(min_cell):
        return 1.0, float(min_cell - 1)
    if re.fullmatch(r"\d+(\.0+)?", t):
        return float(t), float(t)
    m = re.fullmatch(r"(\d+)-(\d+)", t)
    if m:
        return float(m.group(1)), float(m.group(2))
    return 0.0, math.inf


def _bounds_text(lo: float, hi: float, min_cell: int) -> object:
    if not math.isfinite(hi):
        return SECONDARY_MARK
    if lo == hi:
        return int(lo)
    if hi < min_cell and lo >= 1:
        return small_mark(min_cell)
    return range_text(lo, hi)


def _scheme_texts(g: pd.DataFrame, flow_public: pd.DataFrame | None,
                  min_cell: int) -> dict[str, object]:
    """wave -> the printed count of one scheme (its public flow's text, else published_counts)."""
    _, printed = flow_shown(flow_public)
    if printed and all(w in printed for w in g["wave"]):
        return {w: int(printed[w]) if printed[w].isdigit() else printed[w] for w in g["wave"]}
    entered = float(g["entered"].iloc[0])
    counts = {"entered": entered} | {w: float(r) for w, r in zip(g["wave"], g["responded"])}
    shown = published_counts(counts, min_cell, groups={w: [entered] for w in g["wave"]})
    return {w: shown[w] for w in g["wave"]}


def _pct_text(n_text: object, e_text: object, min_cell: int) -> str:
    lo, hi = text_bounds(n_text, min_cell)
    elo, ehi = text_bounds(e_text, min_cell)
    if not (math.isfinite(hi) and math.isfinite(ehi)) or elo < min_cell:
        return SECONDARY_MARK
    if lo == hi and elo == ehi:
        return safe_percent(lo, elo, min_cell, decimals=1)
    if str(n_text) == small_mark(min_cell):
        return safe_percent(1, elo, min_cell)
    return f"{100 * lo / ehi:.0f}-{min(100.0, 100 * hi / elo):.0f}%"


def public_schemes(table: pd.DataFrame, flows: Mapping[str, pd.DataFrame | None],
                   min_cell: Mapping[str, int]) -> pd.DataFrame:
    """The public copy of :func:`scheme_counts` (see the module notes). ``flows[scheme]`` is
    the scheme's ``attrition_flow_public.csv`` (None without one); ``min_cell[scheme]`` its
    threshold (totals use the largest)."""
    out = table.astype({"entered": object, "responded": object, "pct_entry": object})
    top = max(min_cell.values())
    sums: dict[str, list[float]] = {}
    for scheme, g in table[table["scheme"] != ALL].groupby("scheme", sort=False):
        mc = min_cell[scheme]
        texts = _scheme_texts(g, flows.get(scheme), mc)
        entry_text = texts[g["wave"].iloc[0]]
        for i, w in zip(g.index, g["wave"]):
            out.at[i, "responded"] = texts[w]
            out.at[i, "entered"] = entry_text
            out.at[i, "pct_entry"] = _pct_text(texts[w], entry_text, mc)
            lo, hi = text_bounds(texts[w], mc)
            elo, ehi = text_bounds(entry_text, mc)
            acc = sums.setdefault(w, [0.0, 0.0, 0.0, 0.0])
            acc[0], acc[1], acc[2], acc[3] = acc[0] + lo, acc[1] + hi, acc[2] + elo, acc[3] + ehi
    for i in table.index[table["scheme"] == ALL]:
        lo, hi, elo, ehi = sums[table.at[i, "wave"]]
        n_text, e_text = _bounds_text(lo, hi, top), _bounds_text(elo, ehi, top)
        out.at[i, "responded"], out.at[i, "entered"] = n_text, e_text
        out.at[i, "pct_entry"] = _pct_text(n_text, e_text, top)
    return out
