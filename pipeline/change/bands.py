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
(:func:`pipeline.change.rci.public_rci_shares`): n is printed by the printed-counts rule
(:func:`pipeline.disclosure.published_counts`: a range when it is a few short of the number
who answered at its wave or of another printed count); the bands add up to n, so a small
band needs a second hidden band; :func:`pipeline.disclosure.protect` picks it and prints it as
the range the other numbers allow; the share and CI of a hidden count are "[c]"; beside a
range n a share or CI is given only where it does not narrow the range (a precise share of
a shown count gives n back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.change.messages import too_few_message
from pipeline.clean.settings import score_bands
from pipeline.config import Scale
from pipeline.disclosure import SECONDARY_MARK, protect, published_counts
from pipeline.instruments import INSTRUMENTS
from pipeline.instruments.model import Band
from pipeline.instruments.scoring import band_of
from pipeline.stats.rci import wilson_interval
from pipeline.status import Status

__all__ = ["BAND_COLUMNS", "scale_bands", "band_shares", "public_band_shares"]

OK, NOT_ESTIMABLE = Status.OK.value, Status.NOT_ESTIMABLE.value
BAND_COLUMNS = ["analysis", "construct", "wave", "band", "low", "high", "count", "n", "share",
                "ci_lower", "ci_upper", "reference", "status", "message"]


def scale_bands(scales: Mapping[str, Scale]) -> tuple[dict[str, tuple[Band, ...]], dict[str, str]]:
    """(scale -> its published bands, scale -> where they come from) for the scales whose
    preset publishes bands (:func:`pipeline.clean.settings.score_bands`); both empty when
    none does (then the change rule declares no band tables)."""
    bands = {k: score_bands(sc) for k, sc in scales.items()}
    bands = {k: b for k, b in bands.items() if b}
    refs = {k: INSTRUMENTS[scales[k].instrument].bands_reference for k in bands}
    return bands, refs


def band_shares(long: pd.DataFrame, bands: Mapping[str, Sequence[Band]],
                wave_ids: Sequence[str], min_cell: int = 10, conf: float = 0.95,
                references: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per construct (with bands) x wave x band: plain count, n, share, Wilson CI.

    ``bands``: scale key -> its bands in order (empty: the scale is skipped); ``references``:
    scale key -> where its bands come from (the preset's ``bands_reference``), in the
    ``reference`` column. Fewer than
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
                             "reference": (references or {}).get(s, ""),
                             "status": OK if ok else NOT_ESTIMABLE, "message": msg})
    out = pd.DataFrame(rows, columns=[c for c in BAND_COLUMNS
                                      if c not in ("share", "ci_lower", "ci_upper")])
    if out.empty:
        return pd.DataFrame(columns=BAND_COLUMNS)
    out["share"] = out["count"] / out["n"].where(out["n"] > 0)
    lo, hi = wilson_interval(out["count"], out["n"], conf)
    out["ci_lower"], out["ci_upper"] = lo, hi
    return out[BAND_COLUMNS]


def _printed_n(shares: pd.DataFrame, min_cell: int, group_sizes: Mapping[str, float] | None,
               shown: Iterable[float]) -> dict[tuple, int | str | None]:
    """(construct, wave) -> the number with a banded score as printed
    (:func:`pipeline.disclosure.published_counts`): people with a score at a wave are among
    those who answered at it (``group_sizes``, as the flow prints them), so "177" beside 178
    who answered would give back the one without a score; it is printed "169-177". ``shown``:
    other counts the same report prints exactly (the reliable-change n), set beside these."""
    sizes = {str(w): float(v) for w, v in (group_sizes or {}).items()}
    first = next(iter(sizes), None)
    firsts = shares.groupby(["construct", "wave"], sort=False)["n"].first()
    counts = {k: pd.to_numeric(v, errors="coerce") for k, v in firsts.items()}
    groups = {k: [sizes[w] for w in dict.fromkeys((first, str(k[1]))) if w in sizes]
              for k in counts}
    return published_counts(counts, min_cell, shown=[*sizes.values(), *shown], groups=groups)


def _range(text: object) -> tuple[float, float] | None:
    m = re.fullmatch(r"(\d+)-(\d+)", str(text))
    return (float(m.group(1)), float(m.group(2))) if m else None


def _beside_range(count: float, span: tuple[float, float], conf: float) -> list[object]:
    """Share and CI of a shown count beside a range n, each to 2 decimals only when every n of
    the range gives the same rounded value (else "[c]"): a precise share would give n back
    (22 / 0.44 = 50 of "43-51")."""
    ns = np.arange(span[0], span[1] + 1)
    lo, hi = wilson_interval(np.full(len(ns), count), ns, conf)
    out: list[object] = []
    for v in (count / ns, lo, hi):
        r = np.unique(np.round(np.asarray(v, dtype=float), 2))
        out.append(float(r[0]) if len(r) == 1 else SECONDARY_MARK)
    return out


def public_band_shares(shares: pd.DataFrame, min_cell: int,
                       group_sizes: Mapping[str, float] | None = None,
                       shown: Iterable[float] = (), conf: float = 0.95) -> pd.DataFrame:
    """Funder copy of :func:`band_shares`: no hidden count recoverable from n, the other bands,
    the shares or their CIs (see the module notes).

    n is printed by the printed-counts rule (:func:`_printed_n`): "<10" when small, a range
    when it is within ``min_cell`` of the number who answered at its wave (``group_sizes``) or
    of another printed count (``shown``). A range n is not known to readers: the bands are
    protected against its range, and the share and CI of a shown band are given (to whole
    per cent) only where they do not narrow that range (:func:`_beside_range`), else "[c]"."""
    public = shares.copy()
    for c in ("n", "count", "share", "ci_lower", "ci_upper"):
        public[c] = public[c].astype(object)
    printed = _printed_n(shares, min_cell, group_sizes, shown) if len(shares) else {}
    for key, rows in shares.groupby(["construct", "wave"], sort=False):
        shown_rows = rows[rows["count"].notna()]
        if not shown_rows.empty:
            n_span = _range(printed.get(key))
            values = {i: float(c) for i, c in shown_rows["count"].items()} | {
                "n": float(rows["n"].iloc[0])}
            eqs = [{"n": 1} | {i: -1 for i in shown_rows.index}]
            # n a range: the shown bands must not add up to it (17 + 10 of "19-27" gave
            # n = 27 back, and with the 28 who answered, the one without a score)
            prot = protect(values, eqs, list(shown_rows.index), min_cell,
                           known=[] if n_span else ["n"],
                           limits={"n": n_span} if n_span else None,
                           guard=["n"] if n_span else ())
            for i in shown_rows.index:
                public.at[i, "count"] = prot.text(i)
                if prot.hidden(i):
                    public.loc[i, ["share", "ci_lower", "ci_upper"]] = SECONDARY_MARK
                elif n_span is not None:
                    public.loc[i, ["share", "ci_lower", "ci_upper"]] = _beside_range(
                        float(shares.at[i, "count"]), n_span, conf)
        n = printed.get(key)
        public.loc[rows.index, "n"] = n if n is not None else np.nan
    return public
