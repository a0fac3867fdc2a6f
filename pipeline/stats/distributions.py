"""The distribution functions the pipeline uses, as ``scipy.stats`` has them, via ``scipy.special``.

Each function returns exactly what the ``scipy.stats`` call named in its docstring returns:
the same special function on the interior of the support, and the same values where
``rv_continuous`` handles the edges itself (0 or 1 beyond the support, -inf / inf at the
probabilities 0 and 1, NaN for NaN or invalid parameters), a NumPy scalar for scalar input.
``tests/stats/test_distributions.py`` holds every function against ``scipy.stats``, bit for bit.

Why not ``scipy.stats`` itself: importing it costs about 0.3 s of CPU per process (it loads
scipy.optimize, scipy.sparse, scipy.spatial, ...), and every stage of the workflow is its own
process; issue 14 asks for imports only where they are used. R equivalents: ``pnorm``,
``qnorm``, ``pt``, ``qt``, ``pchisq`` (with ``ncp``), ``qf``, ``pt`` with ``ncp``, ``plogis``,
``dlogis``, ``rank(ties.method = "average")``.
"""

from __future__ import annotations

import numpy as np
from scipy import special as sc

__all__ = ["norm_cdf", "norm_sf", "norm_ppf", "t_sf", "t_ppf", "chi2_sf", "chi2_cdf",
           "ncx2_cdf", "nct_cdf", "f_ppf", "logistic_cdf", "logistic_pdf", "average_ranks"]


def _scalar(out: np.ndarray):
    return out[()] if out.ndim == 0 else out


def _ppf(q, shapes_ok, core, lower: float, upper: float, *shapes):
    """``rv_continuous.ppf``: ``core`` inside (0, 1), the support's bounds at 0 and 1, NaN
    elsewhere (``* 1.0 + 0.0`` as scipy's scale and loc: -0.0 becomes 0.0)."""
    arrs = np.broadcast_arrays(np.asarray(q, dtype=float), *(np.asarray(s, dtype=float)
                                                             for s in shapes))
    q, shapes = arrs[0], arrs[1:]
    ok = shapes_ok(*shapes) if shapes else np.ones(q.shape, dtype=bool)
    out = np.full(q.shape, np.nan)
    inner = ok & (q > 0) & (q < 1)
    if inner.any():
        out[inner] = core(q[inner], *(s[inner] for s in shapes)) * 1.0 + 0.0
    out[ok & (q == 0)] = lower
    out[ok & (q == 1)] = upper
    return _scalar(out)


def _tail(x, shapes_ok, core, lower: float, below: float, upper: float, above: float, *shapes):
    """``rv_continuous.cdf`` / ``sf`` on the support (lower, upper): ``core`` inside it,
    ``below`` at or under its lower end, ``above`` at or over its upper end, NaN for NaN x or
    invalid parameters."""
    arrs = np.broadcast_arrays(np.asarray(x, dtype=float), *(np.asarray(s, dtype=float)
                                                             for s in shapes))
    x, shapes = arrs[0], arrs[1:]
    ok = shapes_ok(*shapes) if shapes else np.ones(x.shape, dtype=bool)
    out = np.full(x.shape, np.nan)
    inner = ok & (x > lower) & (x < upper)
    if inner.any():
        out[inner] = core(x[inner], *(s[inner] for s in shapes))
    out[ok & (x <= lower)] = below
    out[ok & (x >= upper)] = above
    return _scalar(out)


def _positive(*shapes):
    ok = shapes[0] > 0
    for s in shapes[1:]:
        ok = ok & (s > 0)
    return ok


def norm_cdf(x):
    """Standard normal CDF, ``scipy.stats.norm.cdf(x)`` (R: ``pnorm(x)``)."""
    return sc.ndtr(x)


def norm_sf(x):
    """Standard normal upper tail 1 - Phi(x), ``scipy.stats.norm.sf(x)`` (R:
    ``pnorm(x, lower.tail = FALSE)``)."""
    return sc.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q):
    """Standard normal quantile, ``scipy.stats.norm.ppf(q)`` (R: ``qnorm(q)``)."""
    return _ppf(q, None, sc.ndtri, -np.inf, np.inf)


def t_sf(x, df):
    """Student t upper tail, ``scipy.stats.t.sf(x, df)`` (R: ``pt(x, df, lower.tail = FALSE)``)."""
    return _tail(x, _positive, lambda v, d: sc.stdtr(d, -v), -np.inf, 1.0, np.inf, 0.0, df)


def t_ppf(q, df):
    """Student t quantile, ``scipy.stats.t.ppf(q, df)`` (R: ``qt(q, df)``)."""
    return _ppf(q, _positive, lambda p, d: sc.stdtrit(d, p), -np.inf, np.inf, df)


def chi2_sf(x, df):
    """Chi-square upper tail, ``scipy.stats.chi2.sf(x, df)`` (R: ``pchisq(x, df,
    lower.tail = FALSE)``)."""
    return _tail(x, _positive, lambda v, d: sc.chdtrc(d, v), 0.0, 1.0, np.inf, 0.0, df)


def chi2_cdf(x, df):
    """Chi-square CDF, ``scipy.stats.chi2.cdf(x, df)`` (R: ``pchisq(x, df)``)."""
    return _tail(x, _positive, lambda v, d: sc.chdtr(d, v), 0.0, 0.0, np.inf, 1.0, df)


def ncx2_cdf(x, df, nc):
    """Non-central chi-square CDF, ``scipy.stats.ncx2.cdf(x, df, nc)`` (R: ``pchisq(x, df,
    ncp = nc)``); nc = 0 is the central CDF, as in scipy."""
    def core(v, d, c):
        with np.errstate(over="ignore"):
            return np.where(c != 0, sc.chndtr(v, d, c), sc.chdtr(d, v))
    return _tail(x, lambda d, c: (d > 0) & np.isfinite(d) & (c >= 0), core, 0.0, 0.0, np.inf,
                 1.0, df, nc)


def nct_cdf(x, df, nc):
    """Non-central t CDF, ``scipy.stats.nct.cdf(x, df, nc)`` (R: ``pt(x, df, ncp = nc)``)."""
    return _tail(x, lambda d, c: (d > 0) & (c == c), lambda v, d, c: sc.nctdtr(d, c, v),
                 -np.inf, 0.0, np.inf, 1.0, df, nc)


def f_ppf(q, dfn, dfd):
    """F quantile, ``scipy.stats.f.ppf(q, dfn, dfd)`` (R: ``qf(q, dfn, dfd)``)."""
    return _ppf(q, _positive, lambda p, a, b: sc.fdtri(a, b, p), 0.0, np.inf, dfn, dfd)


def logistic_cdf(x):
    """Standard logistic CDF, ``scipy.stats.logistic.cdf(x)`` (R: ``plogis(x)``)."""
    return sc.expit(x)


def logistic_pdf(x):
    """Standard logistic density, ``scipy.stats.logistic.pdf(x)`` (R: ``dlogis(x)``):
    exp(y - 2 log1p(exp(y))) with y = -|x|, scipy's form."""
    def core(v):
        y = -np.abs(v)
        return np.exp(y - 2.0 * sc.log1p(np.exp(y)))
    return _tail(x, None, core, -np.inf, 0.0, np.inf, 0.0)


def average_ranks(x) -> np.ndarray:
    """Ranks 1..n of the flattened ``x``, ties given their average rank:
    ``scipy.stats.rankdata(x, method="average")`` (R: ``rank(x, ties.method = "average")``);
    all NaN when any value is NaN (scipy's ``nan_policy="propagate"``)."""
    x = np.ravel(np.asarray(x))
    if x.size and np.isnan(x).any():
        return np.full(x.size, np.nan)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    first = np.r_[True, xs[1:] != xs[:-1]]
    dense = np.cumsum(first)
    count = np.r_[np.flatnonzero(first), x.size]
    ranks = np.empty(x.size)
    ranks[order] = 0.5 * (count[dense] + count[dense - 1] + 1)
    return ranks
