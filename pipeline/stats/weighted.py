"""Weighted estimators of a mean: the Hájek (ratio) estimator with its linearisation SE.

Used for inverse-probability-weighted (IPW) estimates, where each person who stayed in the study
is weighted by the inverse of their estimated probability of staying (Seaman & White 2013).
"""

from __future__ import annotations

import numpy as np

__all__ = ["hajek_mean"]


def hajek_mean(y: np.ndarray, w: np.ndarray) -> tuple[float, float, int]:
    """Weighted mean of ``y`` (Hájek estimator) with its robust (sandwich) standard error.

    Over the people with finite ``y`` and finite, positive ``w``:

    .. math:: \\hat\\mu = \\frac{\\sum_i w_i y_i}{\\sum_i w_i}, \\qquad
              \\widehat{SE} = \\frac{\\sqrt{\\sum_i w_i^2 (y_i - \\hat\\mu)^2}}{\\sum_i w_i}

    the linearisation (Taylor) variance of a ratio estimator, weights treated as known
    (Lumley 2010, *Complex Surveys*, ch. 2). With equal weights it is the plain mean with SE
    ``sqrt(sum((y - mean)^2)) / n``.

    Returns ``(estimate, se, n)``; estimate and SE are NaN when fewer than 2 people count.

    In R: ``survey::svymean(~y, survey::svydesign(ids = ~1, weights = ~w, data = d))`` gives the
    same estimate; its SE is larger by the factor ``sqrt(n / (n - 1))`` (with-replacement
    variance).
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    ok = np.isfinite(y) & np.isfinite(w) & (w > 0)
    y, w = y[ok], w[ok]
    if y.size < 2:
        return np.nan, np.nan, int(y.size)
    est = float(np.sum(w * y) / np.sum(w))
    se = float(np.sqrt(np.sum(w**2 * (y - est) ** 2)) / np.sum(w))
    return est, se, int(y.size)
