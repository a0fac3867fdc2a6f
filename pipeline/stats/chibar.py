"""Chi-bar-square (mixture of chi-squares) p-values for likelihood-ratio tests on the boundary.

When the restricted model fixes variance components at zero - the boundary of their parameter
space - the likelihood-ratio statistic does not follow chi2(df) but a chi-bar-square
distribution (Self & Liang 1987; Stoel, Garre, Dolan & van den Wittenboer 2006, *Psychological
Methods* 11:439-455)::

    P(T >= t) = sum_{j=0}^{q} w_j P(chi2_j >= t),      chi2_0 = point mass at 0,

with weights ``w_j`` >= 0 summing to 1 that depend on the shape of the parameter space near the
null (Shapiro 1985). Two cases are provided:

* :func:`independent_variance_weights` - ``k`` variances tested at zero with no covariances
  between them (and asymptotically independent estimates): binomial weights
  ``w_j = C(k, j) / 2^k`` on ``j = 0..k`` (Self & Liang 1987, case 9; Stoel et al. 2006). One
  variance: the familiar 50:50 mixture of chi2_0 and chi2_1.
* :func:`covariance_matrix_weights` - a whole ``k x k`` covariance matrix tested at zero against
  "positive semidefinite", e.g. the random intercepts of an RI-CLPM against the CLPM (k
  variances and k(k-1)/2 covariances, q = k(k+1)/2 parameters). The parameter space is the cone
  of positive semidefinite matrices; with an orthogonally invariant information (as for a
  Wishart covariance estimate; Kuriki 1993, *Ann. Statist.* 21:1379-1384) the weights are the
  conic intrinsic volumes of that cone (Takemura & Kuriki 1997; Amelunxen & Buergisser 2015).
  k = 1: (1/2, 1/2). k = 2 (closed form: the cone is circular with half-angle 45 degrees in
  R^3): ``w = ((2 - sqrt 2)/4, sqrt 2/4, sqrt 2/4, (2 - sqrt 2)/4)`` on df 0..3. k >= 3: no
  closed form; :func:`psd_cone_sf` takes the tail probability of the limiting statistic itself
  (the sum of squared positive eigenvalues of a Gaussian symmetric matrix) from 100,000
  fixed-seed draws. The invariance assumption is an approximation for SEM random intercepts; the
  chi-bar p-value always lies below the plain chi2(q) p-value, which stays a conservative bound.

In R, for given weights ``w`` on df ``0..q``: ``sum(w * pchisq(t, df = 0:q, lower.tail =
FALSE))`` (``pchisq`` with ``df = 0`` is the point mass at 0). The reference script
``tests/fixtures/chibar/chibar_reference.R`` computes these and simulates the limiting
distribution independently.
"""

from __future__ import annotations

from functools import lru_cache
from math import comb, sqrt

import numpy as np

from pipeline.errors import DataError
from pipeline.stats.distributions import chi2_sf

__all__ = ["chibar_sf", "independent_variance_weights", "covariance_matrix_weights",
           "psd_cone_sf", "describe_psd_mixture", "simulate_psd_statistic", "format_weights"]

_SEED = 20061201  # fixed: the k >= 3 weights are the same on every run
_N_SIM = 100_000


def chibar_sf(stat: float, weights: np.ndarray | list[float]) -> float:
    """``P(T >= stat)`` for a chi-bar-square with ``weights[j]`` on chi2 with ``j`` df.

    A statistic <= 0 gives p = 1. In R: ``sum(w * pchisq(stat, 0:q, lower.tail = FALSE))``.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or len(w) < 1 or (w < -1e-12).any() or abs(w.sum() - 1) > 1e-6:
        raise DataError(f"chi-bar-square weights must be >= 0 and sum to 1, got {list(w)}.")
    if not np.isfinite(stat):
        raise DataError(f"chi-bar-square: the statistic must be finite, got {stat}.")
    if stat <= 0:
        return 1.0
    tails = np.array([0.0] + [chi2_sf(stat, j) for j in range(1, len(w))])
    return float(min(1.0, np.dot(w, tails)))


def independent_variance_weights(k: int) -> np.ndarray:
    """Binomial weights ``C(k, j) / 2^k`` on df ``0..k`` for ``k`` independent variances tested
    at zero without covariances (Self & Liang 1987; Stoel et al. 2006)."""
    if k < 1:
        raise DataError(f"chi-bar-square: need at least one variance component, got k = {k}.")
    return np.array([comb(k, j) for j in range(k + 1)], dtype=float) / 2 ** k


def simulate_psd_statistic(k: int, n: int = _N_SIM, seed: int = _SEED) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """Draws of ``(|Pi_C Z|^2, |Pi_C° Z|^2)`` for ``Z`` a standard Gaussian symmetric ``k x k``
    matrix (GOE: N(0, 1) diagonal, N(0, 1/2) off-diagonal, so |Z|_F^2 ~ chi2_{k(k+1)/2}) and
    ``C`` the positive semidefinite cone: the sums of squared positive / negative eigenvalues.
    The first is the limiting LR statistic under the invariant information."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((n, k, k))
    z = (g + np.swapaxes(g, 1, 2)) / 2.0
    idx = np.arange(k)
    z[:, idx, idx] = g[:, idx, idx]
    lam = np.linalg.eigvalsh(z)
    return (np.where(lam > 0, lam, 0.0) ** 2).sum(axis=1), (np.where(lam < 0, lam, 0.0) ** 2).sum(
        axis=1)


@lru_cache(maxsize=None)
def _sorted_psd_draws(k: int) -> np.ndarray:
    return np.sort(simulate_psd_statistic(k)[0])


def covariance_matrix_weights(k: int) -> np.ndarray:
    """Chi-bar-square weights on df ``0..k(k+1)/2`` for a ``k x k`` covariance matrix tested at
    zero against positive semidefinite: k = 1 (1/2, 1/2); k = 2 ((2 - sqrt 2)/4, sqrt 2/4,
    sqrt 2/4, (2 - sqrt 2)/4). For k >= 3 there is no closed form: use :func:`psd_cone_sf`."""
    if k == 1:
        return np.array([0.5, 0.5])
    if k == 2:
        a, b = (2 - sqrt(2)) / 4, sqrt(2) / 4
        return np.array([a, b, b, a])
    raise DataError(f"chi-bar-square: no closed-form weights for a {k} x {k} covariance matrix; "
                    "use psd_cone_sf (simulated limiting distribution).")


def psd_cone_sf(stat: float, k: int) -> float:
    """``P(T >= stat)`` for the LR test of a ``k x k`` covariance matrix at zero against positive
    semidefinite: the mixture with :func:`covariance_matrix_weights` for k <= 2, else the tail of
    the fixed-seed simulated limiting statistic (100,000 draws: Monte Carlo SE at most 0.0016)."""
    if k < 1:
        raise DataError(f"chi-bar-square: need at least one variance component, got k = {k}.")
    if k <= 2:
        return chibar_sf(stat, covariance_matrix_weights(k))
    if not np.isfinite(stat):
        raise DataError(f"chi-bar-square: the statistic must be finite, got {stat}.")
    draws = _sorted_psd_draws(k)
    return float((len(draws) - np.searchsorted(draws, stat, side="left")) / len(draws))


def describe_psd_mixture(k: int) -> str:
    """The reference distribution in words, for tables and notes."""
    q = k * (k + 1) // 2
    if k <= 2:
        return ("chi-bar-square " + format_weights(covariance_matrix_weights(k))
                + f" ({k} random-intercept variance{'s' if k > 1 else ''}"
                + (" and their covariance" if k == 2 else "") + " on the boundary)")
    return (f"chi-bar-square for a {k} x {k} random-intercept covariance matrix on the boundary "
            f"(q = {q}; weights without closed form, p from 100,000 fixed-seed draws of the "
            "limiting statistic)")


def format_weights(weights: np.ndarray | list[float], digits: int = 3) -> str:
    """``"0.146 chi2_0 + 0.354 chi2_1 + ..."``: the mixture in words for tables and notes."""
    return " + ".join(f"{w:.{digits}f} chi2_{j}" for j, w in enumerate(weights))
