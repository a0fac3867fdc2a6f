"""Scores that go through a published table, and reading a score against a preset's bands.

- :func:`apply_lookup`: a raw sum to its published score (SWEMWBS's Rasch metric). A prorated
  (non-integer) sum is rounded half up to the nearest raw sum first -- a project decision
  stated in docs/instruments.md; presets whose table has no proration rule need every item.
- :func:`value_set_index`: an EQ-5D-5L profile to its index, ``start - sum of decrements``
  (Devlin et al. 2018 for England: no constant, no interaction terms). A profile with a
  missing or invalid level (not a whole number 1-5) has no index.
- :func:`band_of`: the label of the band a score falls in (the last band whose lower bound it
  reaches, so a prorated 5.5 on the UCLA-3 reads 'not lonely', below the 6 of 'lonely').
"""

from __future__ import annotations

import itertools

import numpy as np

from pipeline.instruments.model import Band, Instrument, ValueSet

__all__ = ["apply_lookup", "value_set_index", "band_of", "table_score_range"]


def apply_lookup(raw_sum: np.ndarray, table: tuple[tuple[int, float], ...]) -> np.ndarray:
    """Published score of each raw sum (NaN stays NaN; a sum outside the table is NaN)."""
    raw = np.asarray(raw_sum, dtype=float)
    lo = table[0][0]
    values = np.array([v for _, v in table], dtype=float)
    pos = np.floor(raw + 0.5) - lo
    ok = np.isfinite(pos) & (pos >= 0) & (pos < len(values))
    out = np.full(raw.shape, np.nan)
    out[ok] = values[pos[ok].astype(int)]
    return out


def value_set_index(levels: np.ndarray, vs: ValueSet) -> np.ndarray:
    """Index of each row of ``levels`` (n x 5, the five dimensions in EQ-5D order)."""
    x = np.asarray(levels, dtype=float)
    n_levels = len(vs.decrements[0])
    valid = np.isfinite(x) & (x == np.round(x)) & (x >= 1) & (x <= n_levels)
    row_ok = valid.all(axis=1)
    idx = np.where(valid, x, 1).astype(int) - 1
    dec = np.array(vs.decrements, dtype=float)
    total = sum(dec[d][idx[:, d]] for d in range(dec.shape[0]))
    return np.where(row_ok, vs.start - total, np.nan)


def band_of(score: float, bands: tuple[Band, ...]) -> str | None:
    """The band label of ``score`` (None when missing or below the first band)."""
    if score is None or not np.isfinite(score):
        return None
    label = None
    for b in bands:
        if score >= b.low:
            label = b.label
    return label if label is not None and score <= bands[-1].high else None


def table_score_range(inst: Instrument, score: str, value_set: str | None
                      ) -> tuple[float, float] | None:
    """Range of a lookup or index score (None for mean and sum: those follow the items)."""
    if score == "lookup" and inst.lookup:
        values = [v for _, v in inst.lookup]
        return (float(min(values)), float(max(values)))
    vs = inst.value_set(value_set) if value_set else None
    if score == "index" and vs is not None and vs.bundled:
        levels = range(len(vs.decrements[0]))
        worst = sum(max(d) for d in vs.decrements)
        best = sum(min(d[i] for i in levels) for d in vs.decrements)
        return (round(vs.start - worst, 10), round(vs.start - best, 10))
    return None


def _all_profiles(n_dims: int = 5, n_levels: int = 5) -> np.ndarray:
    """Every EQ-5D profile (for tests and the docs)."""
    return np.array(list(itertools.product(range(1, n_levels + 1), repeat=n_dims)), dtype=float)
