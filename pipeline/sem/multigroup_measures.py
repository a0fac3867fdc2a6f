"""Fit measures of a multi-group model, as lavaan's ``fitMeasures`` with ``group =``.

Per group ``g`` (``n_g`` cases, ``N = sum n_g``): the saturated (h1) log-likelihood (EM /
closed form, :func:`pipeline.sem.fit._check_h1`), the model's FIML log-likelihood at the
group's implied moments, and lavaan's baseline model (independence with the ``ov.x`` block
saturated, :func:`pipeline.sem.fit_measures.baseline_loglik`), all unconstrained across groups.
Then (lavaan 0.6 ``lav_fit_measures``, ``lav_fit_rmsea*``, ``lav_fit_srmr_lavobject``):

* ``chisq = 2 sum_g (logl_h1_g - logl_g)``, ``df = G p(p+3)/2 - npar``;
  ``baseline.chisq`` / ``baseline.df`` summed the same way; ``cfi``, ``tli`` from the totals;
* ``rmsea = sqrt(max(chisq / (N df) - 1/N, 0)) * sqrt(G)``; its 90% CI bounds times
  ``sqrt(G)``; ``rmsea.pvalue`` with non-centrality ``N df 0.05^2 / G``;
* ``srmr = sum_g n_g / N * srmr_g`` (Bentler's, with means);
* ``aic``, ``bic``, ``bic2`` from the total log-likelihood with ``N``; ``fmin = chisq / (2N)``.
"""

from __future__ import annotations

import numpy as np

from pipeline.sem.fiml import PatternData, loglik
from pipeline.sem.fit_measures import (
    baseline_loglik,
    baseline_npar,
    cfi,
    rmsea,
    rmsea_ci,
    rmsea_pvalue,
    srmr,
    tli,
)
from pipeline.stats.distributions import chi2_sf


def group_measures(pdat: PatternData, h1: tuple, sigma: np.ndarray, mu: np.ndarray,
                   x_idx: list[int]) -> dict[str, float]:
    """One group's pieces: ``n``, ``logl``, ``unrestricted.logl``, ``baseline.logl``,
    ``chisq`` (its contribution) and ``srmr``."""
    mu_h1, sig_h1, ll_h1 = h1
    ll = loglik(sigma, mu, pdat)
    return {"n": float(pdat.n_obs), "logl": ll, "unrestricted.logl": ll_h1,
            "baseline.logl": baseline_loglik(pdat, x_idx),
            "chisq": max(2.0 * (ll_h1 - ll), 0.0),
            "srmr": srmr(sigma, mu, sig_h1, mu_h1, True)}


def multigroup_fit_measures(parts: list[dict[str, float]], *, npar: int, p: int, n_x: int
                            ) -> dict[str, float]:
    """lavaan's multi-group fit measures from the groups' :func:`group_measures`."""
    n_groups = len(parts)
    n = int(sum(g["n"] for g in parts))
    logl = float(sum(g["logl"] for g in parts))
    logl_h1 = float(sum(g["unrestricted.logl"] for g in parts))
    logl_b = float(sum(g["baseline.logl"] for g in parts))
    n_moments = n_groups * (p + p * (p + 1) // 2)
    chisq = max(2.0 * (logl_h1 - logl), 0.0)
    df = n_moments - npar
    chisq_b = 2.0 * (logl_h1 - logl_b)
    df_b = n_moments - n_groups * baseline_npar(p, n_x, True)
    root_g = np.sqrt(n_groups)
    lo, hi = rmsea_ci(chisq, df, n)
    out = {
        "npar": float(npar), "fmin": chisq / (2 * n), "chisq": chisq, "df": float(df),
        "pvalue": float(chi2_sf(chisq, df)) if df > 0 else float("nan"),
        "baseline.chisq": chisq_b, "baseline.df": float(df_b),
        "baseline.pvalue": float(chi2_sf(chisq_b, df_b)),
        "cfi": cfi(chisq, df, chisq_b, df_b), "tli": tli(chisq, df, chisq_b, df_b),
        "logl": logl, "unrestricted.logl": logl_h1,
        "aic": -2 * logl + 2 * npar, "bic": -2 * logl + np.log(n) * npar,
        "bic2": -2 * logl + np.log((n + 2) / 24) * npar, "ntotal": float(n),
        "rmsea": rmsea(chisq, df, n) * root_g, "rmsea.ci.lower": lo * root_g,
        "rmsea.ci.upper": hi * root_g,
        "rmsea.pvalue": rmsea_pvalue(chisq, df, n, h0=0.05 / root_g),
        "srmr": float(sum(g["n"] / n * g["srmr"] for g in parts)),
        "ngroups": float(n_groups),
    }
    return {k: float(v) for k, v in out.items()}
