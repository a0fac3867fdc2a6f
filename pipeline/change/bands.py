"""Shares of people in each published band of a score, per construct and wave.

Some instruments publish bands or cut-offs for reading a score (ONS4 personal well-being:
low / medium / high / very high; UCLA-3: 6 or more reads "lonely"). The instrument presets
carry them and :func:`pipeline.clean.settings.score_bands` hands them to other wings; a scale
without a preset (or whose score the study changed) has none, and gets no rows here.

A score falls in the **last** band whose lower bound it reaches
(:func:`pipeline.instruments.scoring.band_of`), so a prorated 5.5 on the UCLA-3 reads "not
lonely", below the 6 of "lonely"; a score outside the bands' span (which a valid score is not)
is left out of n. At each wave, n = people with a banded score at that wave; each band's share
carries a Wilson (1927) interval (R: ``prop.test(count, n, correct = FALSE)``).

The funder copy (:func:`public_band_shares`) follows the reliable-change rule
(:func:`pipeline.change.rci.public_rci_shares`): the bands add up to n (shown), so a small
band needs a second hidden band; :func:`pipeline.disclosure.protect` picks it and prints it as
the range the other numbers allow; the share and CI of a hidden count are "[c]".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.change.messages import too_few_message
from pipeline.disclosure import SECONDARY_MARK, format_count, protect
from pipeline.instruments.model import Band
from pipeline.instruments.scoring import band_of
from pipeline.stats.rci import wilson_interval
from pipeline.status import Status

__all__ = ["BAND_COLUMNS", "band_shares", "public_band_shares"]

OK, NOT_ESTIMABLE = Status.OK.value, Status.NOT_ESTIMABLE.value
BAND_COLUMNS = ["analysis", "construct", "wave", "band", "low", "high", "count", "n", "share",
                "ci_lower", "ci_upper", "status", "message"]


def band_shares(long: pd.DataFrame, bands: Mapping[str, Sequence[Band]],
                wave_ids: Sequence[str], min_cell: int = 10, conf: float = 0.95
                ) -> pd.DataFrame:
    """One row per construct (with bands) x wave x band: plain count, n, share, Wilson CI.

    ``bands``: scale key -> its bands in order (empty: the scale is skipped). Fewer than
    ``min_cell`` people with a score at a wave: every band's count, share and CI blank, status
    "not_estimable" with a plain message (``n`` keeps the plain count for analysts).
    """
    rows = []
    for s, bs in bands.items():
        if not bs or s not in long.columns:
            continue
        for w in wave_ids:
            scores = long.loc[long["wave"] == w, s].dropna().to_numpy(dtype=float)
            labels = pd.Series([band_of(x, tuple(bs)) for x in scores], dtype=object).dropna()
            n = len(labels)
            ok = n >= max(min_cell, 1)
            msg = "" if ok else too_few_message(n, f"at {w}", min_cell,
                                                "the shares per band are not given")
            counts = labels.value_counts()
            for b in bs:
                rows.append({"analysis": "change_bands", "construct": s, "wave": w,
                             "band": b.label, "low": b.low, "high": b.high,
                             "count": int(counts.get(b.label, 0)) if ok else np.nan, "n": n,
                             "status": OK if ok else NOT_ESTIMABLE, "message": msg})
    out = pd.DataFrame(rows, columns=[c for c in BAND_COLUMNS
                                      if c not in ("share", "ci_lower", "ci_upper")])
    if out.empty:
        return pd.DataFrame(columns=BAND_COLUMNS)
    out["share"] = out["count"] / out["n"].where(out["n"] > 0)
    lo, hi = wilson_interval(out["count"], out["n"], conf)
    out["ci_lower"], out["ci_upper"] = lo, hi
    return out[BAND_COLUMNS]


def public_band_shares(shares: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Funder copy of :func:`band_shares`: no hidden count recoverable from n and the other
    bands (see the module notes); n banded ("<10") when small."""
    public = shares.copy()
    for c in ("count", "share", "ci_lower", "ci_upper"):
        public[c] = public[c].astype(object)
    for _, rows in shares.groupby(["construct", "wave"], sort=False):
        shown = rows[rows["count"].notna()]
        if shown.empty:
            continue
        values = {i: float(c) for i, c in shown["count"].items()} | {
            "n": float(rows["n"].iloc[0])}
        eqs = [{"n": 1} | {i: -1 for i in shown.index}]
        prot = protect(values, eqs, list(shown.index), min_cell, known=["n"])
        for i in shown.index:
            public.at[i, "count"] = prot.text(i)
            if prot.hidden(i):
                public.loc[i, ["share", "ci_lower", "ci_upper"]] = SECONDARY_MARK
    public["n"] = public["n"].map(lambda v: format_count(v, min_cell) if pd.notna(v) else v)
    return public
