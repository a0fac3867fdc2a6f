"""Inverse-probability-of-retention weights (IPW) from a fitted retention model.

Definition (Seaman & White 2013, Stat Methods Med Res 22:278-295): with ``p_i`` the fitted
probability of being retained from a logistic model on baseline predictors, a retained person
gets weight

    w_i = 1 / p_i,             or, stabilised,   w_i = P(R = 1) / p_i

(Robins, Hernan & Brumback 2000; ``P(R = 1)``: share retained in the model sample), so that
stabilised weights average about 1. Weights are then truncated (winsorised) at given quantiles
of the retained people's weights (Cole & Hernan 2008). People lost, or retained but missing a
predictor, get no weight (NaN).

The weights come from the retention model **as fitted** (:class:`pipeline.stats.logistic.
LogisticFit`): this module never refits it, so the weights, the retention table and their
statuses always describe the same model (same Firth / not-estimable decision).

Diagnostics: min, max, mean, Kish's effective sample size ``(sum w)^2 / sum w^2`` (Kish 1965)
and balance: for each model column (indicators for categorical levels), the standardised
difference between the retained people's (weighted) mean and the mean of everyone in the model
sample, divided by that sample's SD; |SMD| < 0.1 is the usual mark of good balance (Austin 2009).

**Sequential weights** (monotone dropout; Robins, Rotnitzky & Zhao 1995; Seaman & White 2013
§3.2): for wave k the probability of still responding is the product of the conditional
probabilities of each step, ``p_ik = prod_{j<=k} P(R_j = 1 | R_{j-1} = 1, x_i, y_i,j-1)``, each
from a logistic model fitted among those who responded at wave j - 1 (so the model for wave j may
use the answers given at wave j - 1). ``w_ik = 1 / p_ik``, stabilised by the product of the
shares retained at each step (:func:`sequential_ipw_weights`).

In R: ``p <- fitted(glm(R ~ x, binomial)); w <- mean(R) / p[R == 1]``, then
``pmin(pmax(w, quantile(w, lo)), quantile(w, hi))`` (``WeightIt``/``ipw`` packages do the same).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.stats.logistic import LogisticFit
from pipeline.status import Status

__all__ = ["kish_ess", "balance_table", "ipw_weights", "sequential_ipw_weights"]


def kish_ess(w: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum(w^2)``.

    In R: ``sum(w)^2 / sum(w^2)``.
    """
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / np.square(w).sum()) if len(w) else float("nan")


def balance_table(x: pd.DataFrame, retained: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    """SMD of retained (unweighted and weighted by ``w``) vs everyone in ``x``, per column.

    ``x``: model columns without the intercept; ``retained``: booleans aligned with ``x``;
    ``w``: weights of the retained rows (in order). SD is that of all rows of ``x``:
    ``smd = (mean_retained(w) - mean_all) / sd_all``.

    In R: ``cobalt::bal.tab(x, treat = R, weights = w, s.d.denom = "pooled")`` is close; here
    the target is the whole model sample.
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


def _check_truncate(truncate: tuple[float, float] | None) -> None:
    if truncate is not None:
        lo, hi = truncate
        if not 0 <= lo < hi <= 1:
            raise ValueError(f"truncate must be (lower, upper) quantiles with 0 <= lower < upper "
                             f"<= 1 (got {truncate}).")


def ipw_weights(
    model: LogisticFit,
    index: pd.Index | None = None,
    *,
    stabilised: bool,
    truncate: tuple[float, float] | None,
    name: str = "ipw",
) -> tuple[pd.Series, dict[str, Any]]:
    """Weights for the retained rows of a fitted retention model (NaN for every other row).

    ``model``: the retention model as fitted (``y == 1``: retained); no refit. ``index``: the
    rows of the whole data (default: the model rows); ``truncate``: lower and upper quantiles
    (0-1) of the retained people's weights at which weights are clipped, or None. When the
    model's status is not ok, all weights are NaN and the diagnostics carry its status and
    method. Diagnostics keys: ``status, method, n_weighted, n_truncated, min, max, mean, ess,
    balance`` (DataFrame from :func:`balance_table`, empty without weights).
    """
    _check_truncate(truncate)
    index = model.x.index if index is None else index
    weights = pd.Series(np.nan, index=index, name=name)
    diag: dict[str, Any] = {"status": Status(model.status), "method": model.method,
                            "n_weighted": 0, "n_truncated": 0, "min": np.nan, "max": np.nan,
                            "mean": np.nan, "ess": np.nan, "balance": pd.DataFrame()}
    if model.status != Status.OK:
        return weights, diag
    p = model.fitted()
    ret = model.y.astype(bool)
    w = 1.0 / p[ret]
    if stabilised:
        w = w * ret.mean()
    n_trunc = 0
    if truncate is not None:
        lo_w, hi_w = np.quantile(w, truncate)
        n_trunc = int(((w < lo_w) | (w > hi_w)).sum())
        w = np.clip(w, lo_w, hi_w)
    weights.loc[model.x.index[ret]] = w
    diag.update(
        n_weighted=int(ret.sum()), n_truncated=n_trunc, min=float(w.min()), max=float(w.max()),
        mean=float(w.mean()), ess=kish_ess(w),
        balance=balance_table(model.x.drop(columns="Intercept"), ret, w),
    )
    return weights, diag


def sequential_ipw_weights(
    models: list[LogisticFit],
    index: pd.Index | None = None,
    *,
    stabilised: bool,
    truncate: tuple[float, float] | None,
    name: str = "ipw",
) -> tuple[pd.Series, dict[str, Any]]:
    """Weights under monotone dropout from a chain of fitted conditional retention models.

    ``models[j]``: retention at step j among those retained at step j - 1 (``models[0]``: the
    first follow-up, on everyone; rows = index labels of the data). A person retained in the
    last model gets ``w = 1 / prod_j p_j`` with ``p_j`` the fitted probability of model j for that
    person (stabilised: times ``prod_j mean(y_j)``); anyone not in every model (e.g. a predictor
    missing) gets NaN. Truncation and diagnostics as :func:`ipw_weights`; balance on the first
    model's columns (baseline predictors) against the first model's sample. A model that is not
    ok gives all-NaN weights with its status and method. In R (two steps)::

        m1 <- glm(R1 ~ x, binomial, d);  m2 <- glm(R2 ~ x + y1, binomial, subset(d, R1 == 1))
        p <- fitted(m1)[ids] * fitted(m2)[ids]            # ids: retained at step 2
        w <- mean(m1$y) * mean(m2$y) / p
    """
    _check_truncate(truncate)
    first, last = models[0], models[-1]
    index = first.x.index if index is None else index
    weights = pd.Series(np.nan, index=index, name=name)
    bad = next((m for m in models if m.status != Status.OK), None)
    diag: dict[str, Any] = {"status": Status(bad.status if bad else Status.OK),
                            "method": "+".join(m.method for m in models), "n_weighted": 0,
                            "n_truncated": 0, "min": np.nan, "max": np.nan, "mean": np.nan,
                            "ess": np.nan, "balance": pd.DataFrame()}
    if bad is not None:
        return weights, diag
    ret_ids = last.x.index[last.y.astype(bool)]
    p = pd.Series(1.0, index=ret_ids)
    for m in models:
        p = p * pd.Series(m.fitted(), index=m.x.index).reindex(ret_ids)
    p = p.dropna()
    w = 1.0 / p.to_numpy()
    if stabilised:
        w = w * float(np.prod([m.y.mean() for m in models]))
    n_trunc = 0
    if truncate is not None and len(w):
        lo_w, hi_w = np.quantile(w, truncate)
        n_trunc = int(((w < lo_w) | (w > hi_w)).sum())
        w = np.clip(w, lo_w, hi_w)
    if not len(w):
        return weights, diag
    weights.loc[p.index] = w
    in_first = first.x.index.isin(p.index)
    w_first = pd.Series(w, index=p.index).reindex(first.x.index[in_first]).to_numpy()
    diag.update(
        n_weighted=int(len(w)), n_truncated=n_trunc, min=float(w.min()), max=float(w.max()),
        mean=float(w.mean()), ess=kish_ess(w),
        balance=balance_table(first.x.drop(columns="Intercept"), in_first, w_first),
    )
    return weights, diag
