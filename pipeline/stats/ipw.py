"""Inverse-probability-of-retention weights (IPW) for complete-case analyses at a follow-up.

Definition (Seaman & White, 2013, Stat Methods Med Res 22:278-295): with ``p_i`` the fitted
probability of being retained at the follow-up from a logistic model on baseline predictors
(``pipeline.attrition.analysis.retention_model``), a retained person gets weight ``1 / p_i``; the
stabilised weight multiplies by the marginal retention proportion ``P(R = 1)`` (Robins, Hernan &
Brumback, 2000), so weights average about 1. Weights are then truncated (winsorised) at the given
percentiles of the retained people's weights (Cole & Hernan, 2008). People lost, or retained but
missing a predictor, get no weight (NaN).

Diagnostics: min, max, mean, Kish's effective sample size ``(sum w)^2 / sum w^2`` (Kish, 1965),
and balance: for each model column (indicator columns for categorical levels), the standardised
difference between the retained people's (weighted) mean and the mean of everyone in the model
sample, divided by that sample's SD; |SMD| < 0.1 is the usual mark of good balance (Austin, 2009).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.attrition.analysis import MIN_EVENTS, design_matrix, responded, retention_model


def kish_ess(w: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum(w^2)``."""
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / np.square(w).sum()) if len(w) else float("nan")


def balance_table(x: pd.DataFrame, retained: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    """SMD of retained (unweighted and weighted by ``w``) vs everyone in ``x``, per column.

    ``x``: model columns without the intercept; ``retained``: booleans aligned with ``x``;
    ``w``: weights of the retained rows (in order). SD is that of all rows of ``x``.
    """
    xa = x.to_numpy(float)
    xr = xa[retained]
    target = xa.mean(axis=0)
    sd = xa.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, np.nan)
    before = (xr.mean(axis=0) - target) / sd
    after = (np.average(xr, axis=0, weights=w) - target) / sd
    return pd.DataFrame({"variable": list(x.columns), "mean_all": target,
                         "mean_retained": xr.mean(axis=0),
                         "mean_retained_weighted": np.average(xr, axis=0, weights=w),
                         "smd_unweighted": before, "smd_weighted": after})


def ipw_weights(
    wide: pd.DataFrame,
    followup_wave: str,
    predictors: Sequence[str],
    categorical: Sequence[str] = (),
    *,
    stabilised: bool = True,
    truncate: tuple[float, float] | None = (0.01, 0.99),
    min_events: int = MIN_EVENTS,
) -> tuple[pd.Series, dict[str, Any]]:
    """Weights for people retained at ``followup_wave`` (NaN for everyone else) + diagnostics.

    ``truncate``: lower and upper quantiles (0-1) of the retained people's weights at which
    weights are clipped; ``None`` for no truncation. When the retention model is not estimable
    (see ``retention_model``), all weights are NaN and ``diagnostics['status']`` says why; in
    particular, with fewer than ``min_events`` people retained (or lost) there is no model and
    no weights (status "not_estimable"; ``pipeline.attrition.analysis.MIN_EVENTS_RULE``).
    Diagnostics keys: ``status, message, method, n_weighted, n_truncated, min, max, mean, ess,
    balance`` (DataFrame from ``balance_table``).
    """
    if truncate is not None:
        lo, hi = truncate
        if not 0 <= lo < hi <= 1:
            raise ValueError(f"truncate must be (lower, upper) quantiles with 0 <= lower < upper "
                             f"<= 1 (got {truncate}).")
    weights = pd.Series(np.nan, index=wide.index, name=f"ipw_{followup_wave}")
    table, status = retention_model(wide, followup_wave, predictors, categorical,
                                    min_events=min_events)
    diag: dict[str, Any] = {"status": status["status"], "method": status["method"],
                            "message": status["message"], "n_weighted": 0, "n_truncated": 0,
                            "min": np.nan, "max": np.nan, "mean": np.nan, "ess": np.nan,
                            "balance": pd.DataFrame()}
    if status["status"] != "ok":
        diag["message"] = f"IPW not computed: {status['message']}"
        return weights, diag
    x, _ = design_matrix(wide, predictors, categorical)
    beta = table.set_index("rhs")["est"].reindex(x.columns).to_numpy()
    p = stats.logistic.cdf(x.to_numpy(float) @ beta)
    ret = responded(wide, followup_wave).loc[x.index].to_numpy()
    w = 1.0 / p[ret]
    if stabilised:
        w = w * ret.mean()
    n_trunc = 0
    if truncate is not None:
        lo_w, hi_w = np.quantile(w, truncate)
        n_trunc = int(((w < lo_w) | (w > hi_w)).sum())
        w = np.clip(w, lo_w, hi_w)
    weights.loc[x.index[ret]] = w
    n_missing = int(responded(wide, followup_wave).sum() - ret.sum())
    note = (f" {n_missing} retained people with a missing predictor get no weight."
            if n_missing else "")
    diag.update(
        n_weighted=int(ret.sum()), n_truncated=n_trunc, min=float(w.min()), max=float(w.max()),
        mean=float(w.mean()), ess=kish_ess(w),
        balance=balance_table(x.drop(columns="Intercept"), ret, w),
        message=(f"{'Stabilised' if stabilised else 'Unstabilised'} inverse-probability-of-"
                 f"retention weights for wave {followup_wave} ({int(ret.sum())} people; "
                 f"{n_trunc} truncated). {status['message']}{note}"),
    )
    return weights, diag
