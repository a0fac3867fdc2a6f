"""Standardised mean differences for change: d (over the baseline SD) and d_z (paired).

* ``d``: standardised change = a (model-based) mean difference divided by the observed baseline
  SD (ddof=1). Its CI is the contrast's CI divided by SD_0, treating SD_0 as fixed (so it is
  slightly too narrow; the uncertainty in SD_0 is ignored, a common simplification, e.g.
  Feingold 2009).
* ``d_z`` (Cohen 1988): on complete pairs, mean of the differences over their SD. CI from the
  noncentral t distribution (Algina & Keselman 2003; Cumming & Finch 2001): find the
  noncentrality parameters whose t distribution (df = n - 1) puts the observed
  t = d_z sqrt(n) at its 97.5th and 2.5th percentiles, divide by sqrt(n).

In R: ``d_z = mean(d) / sd(d)``; its CI by ``uniroot()`` on ``pt(t_obs, n - 1, ncp)`` (as
tests/fixtures/change/make_reference.R), as in ``MBESS::ci.sm(sm = d_z, N = n)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from pipeline.stats.distributions import nct_cdf, norm_ppf
from pipeline.status import Status

__all__ = ["standardised_change", "dz_interval", "paired_dz"]


def standardised_change(
    est: pd.Series, ci_lower: pd.Series, ci_upper: pd.Series, sd: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``d = est / SD_0`` with CI ``(ci_lower / SD_0, ci_upper / SD_0)`` (SD_0 taken as fixed)."""
    return est / sd, ci_lower / sd, ci_upper / sd


def dz_interval(dz: float, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Noncentral-t CI for d_z (Algina & Keselman 2003): ncp bounds of t = d_z sqrt(n), / sqrt(n).

    NaN for a non-finite d_z or n < 3. Negative d_z by symmetry: CI(-d) = -CI(d).
    """
    if not (np.isfinite(dz) and n >= 3):
        return np.nan, np.nan
    if dz < 0:  # symmetry: CI(-d) = -CI(d); scipy's nct is better behaved for t >= 0
        lo, hi = dz_interval(-dz, n, conf)
        return -hi, -lo
    t_obs, df = dz * np.sqrt(n), n - 1
    z = norm_ppf(0.5 + conf / 2)

    def f(ncp: float, p: float) -> float:
        v = nct_cdf(t_obs, df, ncp)  # decreasing in ncp
        if not np.isfinite(v):  # far tails: the sign is known
            v = 1.0 if ncp < t_obs else 0.0
        return v - p

    def bound(p: float) -> float:
        # bracket around the normal approximation, widened until the root is inside
        w = z * np.sqrt(1 + t_obs**2 / (2 * df)) + 1.0
        for _ in range(30):
            lo, hi = t_obs - w, t_obs + w
            if f(lo, p) > 0 > f(hi, p):
                return optimize.brentq(f, lo, hi, args=(p,), xtol=1e-12)
            w *= 2
        raise ValueError(f"no noncentral-t bound found for d_z = {dz}, n = {n}")

    a = (1 - conf) / 2
    return bound(1 - a) / np.sqrt(n), bound(a) / np.sqrt(n)


def paired_dz(diff: pd.Series, conf: float = 0.95) -> dict[str, float | int | Status]:
    """d_z = mean(diff) / SD(diff) (ddof=1) of paired differences (no missing values).

    Returns ``est, ci_lower, ci_upper, n, sd, status``: status NOT_ESTIMABLE (estimates NaN)
    with fewer than 3 pairs or differences without spread.

    In R: ``mean(d) / sd(d)``.
    """
    n, sd = len(diff), diff.std(ddof=1) if len(diff) >= 2 else np.nan
    ok = n >= 3 and np.isfinite(sd) and sd > 0
    dz = diff.mean() / sd if ok else np.nan
    lo, hi = dz_interval(dz, n, conf) if ok else (np.nan, np.nan)
    return {"est": dz, "ci_lower": lo, "ci_upper": hi, "n": n, "sd": sd,
            "status": Status.OK if ok else Status.NOT_ESTIMABLE}
