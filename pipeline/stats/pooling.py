"""Pooling estimates across multiple imputations: Rubin's (1987) rules with Barnard & Rubin (1999)
degrees of freedom, exactly as ``mice::pool`` / ``mice::pool.scalar`` report them.

Every estimator that runs on multiply imputed data pools through :func:`rubin_pool`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.stats.distributions import t_ppf, t_sf

#: mice floors lambda at this value before computing the Barnard-Rubin df
#: (``mice:::barnard.rubin``), which keeps the df finite when the between-imputation variance
#: B is 0.
LAMBDA_FLOOR = 1e-4

POOL_COLUMNS = [
    "term", "m", "estimate", "ubar", "b", "t", "se", "dfcom", "df", "riv", "lambda", "fmi",
    "statistic", "pvalue", "ci_lower", "ci_upper",
]


def barnard_rubin_df(m: int, b: np.ndarray, t: np.ndarray, df_complete: float | np.ndarray = np.inf
                     ) -> np.ndarray:
    """Barnard & Rubin (1999) small-sample degrees of freedom, as ``mice:::barnard.rubin``.

    lambda = (1 + 1/m) B / T (floored at 1e-4), dfold = (m - 1) / lambda^2,
    dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lambda), df = dfold * dfobs / (dfold + dfobs);
    with dfcom infinite, df = dfold (Rubin 1987).
    """
    b = np.asarray(b, dtype=float)
    t = np.asarray(t, dtype=float)
    dfcom = np.broadcast_to(np.asarray(df_complete, dtype=float), b.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(t > 0, (1.0 + 1.0 / m) * b / t, 0.0)
    lam = np.maximum(lam, LAMBDA_FLOOR)
    dfold = (m - 1) / lam**2
    finite = np.isfinite(dfcom)
    dfc = np.where(finite, dfcom, 1.0)
    dfobs = (dfc + 1.0) / (dfc + 3.0) * dfc * (1.0 - lam)
    return np.where(finite, dfold * dfobs / (dfold + dfobs), dfold)


def _checked(estimates, variances, terms: Sequence[str] | None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and variances as (m, k) float arrays; DataError naming what is wrong."""
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.ndim == 1:
        q = q[:, None]
    if u.ndim == 1:
        u = u[:, None]
    if q.shape != u.shape or q.ndim != 2:
        raise DataError(
            f"rubin_pool: estimates {q.shape} and variances {u.shape} must both be (m imputations "
            "x k parameters); pass one row per imputation."
        )
    m = q.shape[0]
    if m < 2:
        raise DataError(
            f"rubin_pool: got {m} imputation(s); pooling needs m >= 2 (set missing_data.m >= 2)."
        )
    if not (np.isfinite(q).all() and np.isfinite(u).all()):
        ok = np.isfinite(q).all(axis=0) & np.isfinite(u).all(axis=0)
        bad = np.flatnonzero(~ok)
        names = [terms[i] if terms is not None else str(i) for i in bad]
        raise DataError(
            f"rubin_pool: non-finite estimate or variance for parameter(s) {names} in at least one "
            "imputation; the model failed on some imputed data sets - check its status rows."
        )
    if (u < 0).any():
        raise DataError("rubin_pool: negative variance supplied; pass squared standard errors.")
    return q, u


def rubin_pool(
    estimates: np.ndarray | Sequence,
    variances: np.ndarray | Sequence,
    df_complete: float | Sequence[float] = np.inf,
    *,
    terms: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Pool m completed-data estimates of k parameters by Rubin's (1987) rules.

    ``estimates`` and ``variances`` (squared standard errors) have shape (m, k) (a 1-D array is
    one parameter). Per parameter: Qbar = mean estimate, Ubar = mean within variance,
    B = sample variance of the estimates (ddof = 1), T = Ubar + (1 + 1/m) B,
    riv = (1 + 1/m) B / Ubar, lambda = (1 + 1/m) B / T, df by Barnard & Rubin (1999)
    (``df_complete`` = complete-data df, ``inf`` for large-sample / z-based estimators),
    fmi = (riv + 2/(df + 3)) / (1 + riv), t = Qbar / sqrt(T), two-sided p from t(df),
    CI Qbar +/- t_{df, (1+level)/2} sqrt(T).
    Columns and values match ``mice::pool`` (``summary(pool(fit), conf.int = TRUE)``).

    With B = 0 (no information missing, e.g. all m imputations identical) riv = lambda = 0, T = Ubar
    and df follows mice's floor of lambda at 1e-4 (very large, or ~dfobs when dfcom is finite).
    """
    q, u = _checked(estimates, variances, terms)
    m, k = q.shape
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    # B is exactly 0 when all imputations agree; avoid round-off noise making it tiny but positive.
    b = np.where(np.ptp(q, axis=0) == 0, 0.0, b)
    t = ubar + (1.0 + 1.0 / m) * b
    dfcom = np.broadcast_to(np.asarray(df_complete, dtype=float), (k,)).astype(float)
    df = barnard_rubin_df(m, b, t, dfcom)
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = np.where(b == 0, 0.0, (1.0 + 1.0 / m) * b / ubar)
        lam = np.where(b == 0, 0.0, (1.0 + 1.0 / m) * b / t)
        se = np.sqrt(t)
        stat = qbar / se
    fmi = (riv + 2.0 / (df + 3.0)) / (1.0 + riv)
    pvalue = 2.0 * t_sf(np.abs(stat), np.maximum(df, 0.001))
    crit = t_ppf(0.5 + level / 2.0, df)
    return pd.DataFrame(
        {
            "term": list(terms) if terms is not None else [str(i) for i in range(k)],
            "m": m,
            "estimate": qbar,
            "ubar": ubar,
            "b": b,
            "t": t,
            "se": se,
            "dfcom": dfcom,
            "df": df,
            "riv": riv,
            "lambda": lam,
            "fmi": fmi,
            "statistic": stat,
            "pvalue": pvalue,
            "ci_lower": qbar - crit * se,
            "ci_upper": qbar + crit * se,
        },
        columns=POOL_COLUMNS,
    )


def pool_estimator(
    datasets: Sequence[pd.DataFrame],
    estimator,
    *,
    terms: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Fit ``estimator`` to each completed data set and pool by :func:`rubin_pool`.

    ``estimator(df) -> (estimates, variances, df_complete)`` with k-vectors (or scalars) of
    estimates and squared SEs and the complete-data df (``inf`` for large-sample methods).
    The smallest df_complete over the data sets is used.
    """
    fits = [estimator(d) for d in datasets]
    q = np.array([np.atleast_1d(np.asarray(f[0], dtype=float)) for f in fits])
    u = np.array([np.atleast_1d(np.asarray(f[1], dtype=float)) for f in fits])
    dfc = np.min([np.broadcast_to(np.asarray(f[2], dtype=float), (q.shape[1],)) for f in fits],
                 axis=0)
    return rubin_pool(q, u, df_complete=dfc, terms=terms, level=level)


def rubin_covariance(estimates: np.ndarray, covariances: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Qbar and the total covariance ``T = Ubar + (1 + 1/m) B`` of Rubin's rules (Rubin 1987,
    eq. 3.1.7; the multivariate form behind Monte Carlo intervals of functions of pooled
    coefficients) from (m, P) estimates and (m, P, P) within-set covariances. Its diagonal is
    :func:`rubin_pool`'s total variance; B is exactly 0 for a coefficient every set agrees on
    (as there). R: ``mice::pool`` gives the diagonal (``t``)."""
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(covariances, dtype=float)
    m = q.shape[0]
    between = np.cov(q, rowvar=False, ddof=1).reshape(u.shape[1:])
    same = np.ptp(q, axis=0) == 0
    between[same, :] = 0.0
    between[:, same] = 0.0
    return q.mean(axis=0), u.mean(axis=0) + (1.0 + 1.0 / m) * between
