"""Fit measures as lavaan's ``fitMeasures`` (standard ML, single group, ``mimic = "lavaan"``).

* ``chisq = 2 (logl_h1 - logl_h0)``; for incomplete data ``logl_h1`` is the EM-saturated model.
* baseline: lavaan's independence model (``lav_partable_independence``, ``mimic = "lavaan"``):
  free means and variances of all observed variables (as ``fixed.x = FALSE``) plus free
  covariances among the ``ov.x`` (exogenous observed variables, i.e. only on the rhs of ``~``,
  without user-written ``~~`` / ``~1``; lavaan ``lavNames(fit, "ov.x")``). Its likelihood
  factorises: a saturated normal model for the ``ov.x`` block (by FIML the EM-saturated
  estimates on that block, cases with no ``ov.x`` observed contributing nothing; complete data
  closed form) times independent normals for the other variables (available-case means and ML
  variances). ``baseline.df = n_moments - (2 p + n_x (n_x - 1) / 2)`` (``p`` fewer without the
  mean structure).
* ``cfi = 1 - max(X2 - df, 0) / max(X2 - df, X2_b - df_b, 0)`` (Bentler 1990);
  ``tli = 1 - ((X2 - df) df_b) / ((X2_b - df_b) df)`` (Tucker & Lewis 1973).
* ``rmsea = sqrt(max(X2/(N df) - 1/N, 0))`` with ``N`` the number of cases used; the 90% CI
  inverts the non-central chi-square (Browne & Cudeck 1993); ``rmsea.pvalue`` tests RMSEA <= .05.
* ``srmr`` = lavaan's Bentler SRMR including means when there is a mean structure: residuals of
  the h1 (sample or EM) moments against the model, scaled by the h1 standard deviations,
  root-mean-squared over the ``p(p+1)/2`` covariances and ``p`` means.
* ``aic = -2 logl + 2 npar``, ``bic = -2 logl + log(N) npar``,
  ``bic2 = -2 logl + log((N + 2)/24) npar``.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from pipeline.sem.em_saturated import fit_saturated
from pipeline.sem.fiml import LOG2PI, PatternData, available_case_moments, split_patterns
from pipeline.stats.distributions import chi2_cdf, chi2_sf, ncx2_cdf


def _columns(data: PatternData, idx: np.ndarray) -> np.ndarray:
    """The (used) data of columns ``idx`` as an ``n_obs x len(idx)`` array (NaN = missing)."""
    x = np.full((data.n_obs, data.p), np.nan)
    for pat in data.patterns:
        x[np.ix_(pat.rows, pat.obs)] = pat.y
    return x[:, idx]


def saturated_loglik(data: PatternData) -> float:
    """Log-likelihood of the saturated normal model (closed form if complete, else EM/FIML)."""
    if data.n_patterns == 1 and len(data.patterns[0].obs) == data.p:
        pat = data.patterns[0]
        sign, logdet = np.linalg.slogdet(pat.scov)
        return float(-0.5 * pat.n * (data.p * LOG2PI + logdet + data.p)) if sign > 0 else -np.inf
    return fit_saturated(data).loglik


def baseline_npar(p: int, n_x: int, meanstructure: bool = True) -> int:
    """Free parameters of lavaan's baseline model: variances (and means) of all ``p`` observed
    variables plus the ``n_x (n_x - 1) / 2`` covariances among the ``ov.x``."""
    return (2 * p if meanstructure else p) + n_x * (n_x - 1) // 2


def baseline_loglik(data: PatternData, x_idx=()) -> float:
    """Log-likelihood (FIML) of lavaan's baseline model: the variables ``x_idx`` (the ``ov.x``)
    saturated among themselves, every other variable its own independent normal."""
    x_idx = np.asarray(x_idx, dtype=int)
    rest = np.setdiff1d(np.arange(data.p), x_idx)
    n, _, var = available_case_moments(data)
    ll = float(np.sum(-0.5 * n[rest] * (LOG2PI + np.log(var[rest]) + 1.0)))
    if len(x_idx) == 1:
        ll += float(-0.5 * n[x_idx[0]] * (LOG2PI + np.log(var[x_idx[0]]) + 1.0))
    elif len(x_idx) > 1:
        ll += saturated_loglik(split_patterns(_columns(data, x_idx)))
    return ll


def _pchisq(x: float, df: float, ncp: float) -> float:
    return float(chi2_cdf(x, df) if ncp <= 0 else ncx2_cdf(x, df, ncp))


def rmsea(chisq: float, df: float, n: int) -> float:
    return float(np.sqrt(max(chisq / n / df - 1.0 / n, 0.0))) if df > 0 else 0.0


def rmsea_ci(chisq: float, df: float, n: int, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of RMSEA by inverting the non-central chi-square (lavaan rule)."""
    if not (np.isfinite(chisq) and df >= 1):
        return 0.0, 0.0
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2
    def f_low(lam: float) -> float:
        return _pchisq(chisq, df, lam) - upper_p

    def f_up(lam: float) -> float:
        return _pchisq(chisq, df, lam) - lower_p

    if f_low(0) < 0:
        lo = 0.0
    else:
        lam = optimize.brentq(f_low, 0, max(chisq, 1e-8), xtol=1e-12)
        lo = float(np.sqrt(lam / (n * df)))
    n_rmsea = max(n, chisq * 4)
    if f_up(n_rmsea) > 0 or f_up(0) < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(f_up, 0, n_rmsea, xtol=1e-12)
        hi = float(np.sqrt(lam / (n * df)))
    return lo, hi


def rmsea_pvalue(chisq: float, df: float, n: int, h0: float = 0.05) -> float:
    if df <= 0:
        return float("nan")
    return 1.0 - _pchisq(chisq, df, n * df * h0 ** 2)


def cfi(chisq: float, df: float, chisq_b: float, df_b: float) -> float:
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, chisq_b - df_b, 0.0)
    if np.isclose(t1, 0.0, atol=1.5e-8) and np.isclose(t2, 0.0, atol=1.5e-8):
        return 1.0
    return 1.0 - t1 / t2


def tli(chisq: float, df: float, chisq_b: float, df_b: float) -> float:
    t1 = (chisq - df) * df_b
    t2 = (chisq_b - df_b) * df
    if df > 0 and abs(t2) > 0:
        return 1.0 - t1 / t2
    return 1.0


def srmr(sigma: np.ndarray, mu: np.ndarray, sigma_h1: np.ndarray, mu_h1: np.ndarray,
         meanstructure: bool = True) -> float:
    """Bentler's SRMR (lavaan ``srmr``): standardised by the h1 standard deviations."""
    sd = np.sqrt(np.diag(sigma_h1))
    res = (sigma_h1 - sigma) / np.outer(sd, sd)
    r, c = np.tril_indices(len(sd))
    parts = [res[r, c]]
    if meanstructure:
        parts.append((mu_h1 - mu) / sd)
    v = np.concatenate(parts)
    return float(np.sqrt(np.mean(v ** 2)))


def fit_measures(*, logl: float, logl_h1: float, logl_b: float, npar: int, n_moments: int,
                 p: int, n: int, sigma: np.ndarray, mu: np.ndarray, sigma_h1: np.ndarray,
                 mu_h1: np.ndarray, meanstructure: bool = True, n_x: int = 0
                 ) -> dict[str, float]:
    """All standard fit measures in lavaan's names (``baseline.chisq`` etc.); ``logl_b`` is
    :func:`baseline_loglik` with the ``n_x`` ov.x variables."""
    chisq = max(2.0 * (logl_h1 - logl), 0.0)
    df = n_moments - npar
    chisq_b = 2.0 * (logl_h1 - logl_b)
    df_b = n_moments - baseline_npar(p, n_x, meanstructure)
    lo, hi = rmsea_ci(chisq, df, n)
    return {
        "npar": float(npar), "fmin": chisq / (2 * n), "chisq": chisq, "df": float(df),
        "pvalue": float(chi2_sf(chisq, df)) if df > 0 else float("nan"),
        "baseline.chisq": chisq_b, "baseline.df": float(df_b),
        "baseline.pvalue": float(chi2_sf(chisq_b, df_b)),
        "cfi": cfi(chisq, df, chisq_b, df_b), "tli": tli(chisq, df, chisq_b, df_b),
        "logl": logl, "unrestricted.logl": logl_h1,
        "aic": -2 * logl + 2 * npar, "bic": -2 * logl + np.log(n) * npar,
        "bic2": -2 * logl + np.log((n + 2) / 24) * npar, "ntotal": float(n),
        "rmsea": rmsea(chisq, df, n), "rmsea.ci.lower": lo, "rmsea.ci.upper": hi,
        "rmsea.pvalue": rmsea_pvalue(chisq, df, n),
        "srmr": srmr(sigma, mu, sigma_h1, mu_h1, meanstructure),
    }
