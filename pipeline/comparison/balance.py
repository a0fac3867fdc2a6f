"""Who was in which arm: the propensity score, its weights and baseline balance.

Propensity score ``e = P(programme | x)`` by logistic regression (:mod:`pipeline.stats.
logistic`) on the ``adjust_for`` covariates (categorical ones as indicators) and the
outcomes' baseline scores, among the entrants with all of them (the others get no weight and
are left out of the weighted analysis; the table says how many are in). Weights:

* overlap (Li, Morgan & Zaslavsky 2018, JASA 113:390): ``1 - e`` in the programme arm, ``e``
  in the reference arm; the estimand is the effect among people who could have been in either
  arm, and with a logistic propensity model the weighted means of every model covariate are
  exactly equal in the two arms (the after-weighting SMDs are 0);
* ipw: ``1 / e`` and ``1 / (1 - e)`` (the whole population; Austin & Stuart 2015).

Balance (``comparison_balance.csv``): per covariate (per level of a categorical one) and
baseline score, each arm's mean (share) and the standardised mean difference
``(m_1 - m_0) / sqrt((s_1^2 + s_0^2) / 2)`` (Austin 2009; proportions
``sqrt((p_1 (1-p_1) + p_0 (1-p_0)) / 2)``) before weighting, over every entrant with the
variable, and after weighting, over the weighted sample with the weighted means and the same
(unweighted) denominator, so before and after are on one scale (cobalt's convention). |SMD| <
0.1 is the usual mark of balance. The effective sample size of each arm after weighting is
Kish's ``(sum w)^2 / sum w^2``. R: ``cobalt::bal.tab(..., s.d.denom = "pooled")``.

The public copy (``comparison_balance_public.csv``, :func:`public_balance`) adds each level's
count per arm and hides counts below ``min_cell`` through :func:`pipeline.disclosure.
suppress_counts` (primary, and secondary within a covariate: its levels add up to the arm's
number with the covariate), with the shares, weighted shares and SMDs of a hidden count (a
level's SMD and the other arm's share give its share back); the other SMDs and the effective
sample sizes are shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.disclosure import suppress_counts
from pipeline.stats.ipw import kish_ess
from pipeline.stats.logistic import fit_logistic
from pipeline.status import Status

__all__ = ["BALANCE_COLUMNS", "PUBLIC_BALANCE_COLUMNS", "WEIGHT", "propensity_weights",
           "balance_table", "public_balance"]

WEIGHT = "ps_weight"
BALANCE_COLUMNS = ["variable", "level", "kind", "mean_programme", "mean_reference",
                   "smd_before", "mean_programme_weighted", "mean_reference_weighted",
                   "smd_after", "n_programme", "n_reference", "ess_programme", "ess_reference",
                   "weighting", "status", "message"]
PUBLIC_BALANCE_COLUMNS = [*BALANCE_COLUMNS[:9], "count_programme", "count_reference",
                          *BALANCE_COLUMNS[9:]]


def propensity_weights(frame: pd.DataFrame, arm: str, predictors: Sequence[str], scheme: str
                       ) -> tuple[pd.Series, str, str]:
    """(weights aligned with ``frame``, NaN where not estimated; status; message)."""
    none = pd.Series(np.nan, index=frame.index, name=WEIGHT)
    if scheme == "none":
        return none, Status.NOT_RUN.value, "no weighting configured (comparison.weighting)"
    usable = [p for p in predictors if frame[p].dropna().nunique() > 1]
    d = frame.dropna(subset=[arm, *usable])
    x = pd.concat([pd.Series(1.0, index=d.index, name="Intercept"), d[usable].astype(float)],
                  axis=1)
    fit = fit_logistic(x, d[arm].to_numpy(float), firth_on_separation=False)
    if fit.status is not Status.OK:
        return none, Status.NOT_ESTIMABLE.value, (
            f"the propensity model could not be estimated ({fit.problem.replace('_', ' ')})")
    e = fit.fitted()
    p = d[arm].to_numpy(float)
    w = np.where(p == 1, 1 - e, e) if scheme == "overlap" else np.where(p == 1, 1 / e,
                                                                          1 / (1 - e))
    none.loc[d.index] = w
    return none, Status.OK.value, f"{scheme} weights from {len(usable)} baseline variables"


def _smd(m1: float, m0: float, v1: float, v0: float) -> float:
    den = np.sqrt((v1 + v0) / 2)
    return float((m1 - m0) / den) if den > 0 else float("nan")


def _row(name: str, level: str, kind: str, x: pd.Series, p: pd.Series, w: pd.Series) -> dict:
    seen = x.notna()
    x1, x0 = x[seen & (p == 1)].astype(float), x[seen & (p == 0)].astype(float)
    if kind == "share":
        m1, m0 = x1.mean(), x0.mean()
        v1, v0 = m1 * (1 - m1), m0 * (1 - m0)
    else:
        m1, m0, v1, v0 = x1.mean(), x0.mean(), x1.var(ddof=1), x0.var(ddof=1)
    ok = seen & w.notna()
    row = {"variable": name, "level": level, "kind": kind, "mean_programme": m1,
           "mean_reference": m0, "smd_before": _smd(m1, m0, v1, v0),
           "n_programme": int(len(x1)), "n_reference": int(len(x0))}
    if ok.any() and (p[ok] == 1).any() and (p[ok] == 0).any():
        a1 = np.average(x[ok & (p == 1)], weights=w[ok & (p == 1)])
        a0 = np.average(x[ok & (p == 0)], weights=w[ok & (p == 0)])
        row.update(mean_programme_weighted=a1, mean_reference_weighted=a0,
                   smd_after=_smd(a1, a0, v1, v0))
    return row


def balance_table(frame: pd.DataFrame, raw: pd.DataFrame, arm: str,
                  covariates: Mapping[str, str], baseline: Sequence[str], weights: pd.Series,
                  scheme: str, status: str, message: str) -> pd.DataFrame:
    """The balance rows (:data:`BALANCE_COLUMNS`). ``raw``: the entrants' covariates as in
    the wide data (aligned with ``frame``), ``covariates``: key -> type of the ``adjust_for``
    covariates, ``baseline``: baseline score columns of ``frame``."""
    p = frame[arm]
    rows = []
    for c, kind in covariates.items():
        if kind == "numeric":
            rows.append(_row(c, "", "mean", pd.to_numeric(raw[c], errors="coerce"), p,
                             weights))
            continue
        text = raw[c].astype(object).where(raw[c].notna())
        for lv in sorted({str(v) for v in text.dropna()}):
            rows.append(_row(c, lv, "share", (text.astype(str) == lv).astype(float)
                             .where(text.notna()), p, weights))
    rows += [_row(b, "", "mean", frame[b], p, weights) for b in baseline]
    t = pd.DataFrame(rows, columns=BALANCE_COLUMNS)
    w1, w0 = weights[(p == 1) & weights.notna()], weights[(p == 0) & weights.notna()]
    t["ess_programme"] = kish_ess(w1.to_numpy()) if len(w1) else np.nan
    t["ess_reference"] = kish_ess(w0.to_numpy()) if len(w0) else np.nan
    t["weighting"], t["status"], t["message"] = scheme, status, message
    return t


def public_balance(balance: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The balance table safe to publish (:data:`PUBLIC_BALANCE_COLUMNS`; see the module
    notes): a level's count per arm (``count_*``), counts below ``min_cell`` hidden with the
    shares they give away; a covariate's number of people per arm on its first level only."""
    t = balance.reset_index(drop=True).copy()
    share = t["kind"] == "share"
    lines = []
    for arm in ("programme", "reference"):
        n = pd.to_numeric(t[f"n_{arm}"], errors="coerce")
        t[f"count_{arm}"] = np.where(share, np.round(t[f"mean_{arm}"].astype(float) * n), np.nan)
        for _, idx in t[share].groupby("variable", sort=False).groups.items():
            idx = list(idx)
            t.loc[idx[1:], f"n_{arm}"] = np.nan
            lines.append([(i, f"count_{arm}") for i in idx] + [(idx[0], f"n_{arm}")])
    pct = {f"{m}_{arm}{w}": f"count_{arm}" for arm in ("programme", "reference")
           for m in ("mean",) for w in ("", "_weighted")}
    out = suppress_counts(t, ["n_programme", "n_reference", "count_programme",
                              "count_reference"], min_cell, additive="none", lines=lines,
                          pct_columns=pct)
    hid = pd.Series(False, index=out.index)
    for c in ("count_programme", "count_reference"):
        hid |= out[c].map(lambda v: isinstance(v, str))
    for c in ("smd_before", "smd_after"):  # the SMD of a share gives the hidden share back
        out[c] = out[c].astype(object)
        out.loc[hid & share, c] = "[c]"
    for arm in ("programme", "reference"):  # a mean over fewer than min_cell people
        few = pd.to_numeric(t[f"n_{arm}"], errors="coerce") < min_cell
        hidden = ~share & few & t[f"n_{arm}"].notna()
        for c in (f"mean_{arm}", f"mean_{arm}_weighted"):
            out[c] = out[c].astype(object)
            out.loc[hidden, c] = out.loc[hidden, f"n_{arm}"]
    return out.reindex(columns=PUBLIC_BALANCE_COLUMNS)
