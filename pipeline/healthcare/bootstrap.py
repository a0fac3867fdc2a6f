"""Percentile bootstrap of a count-outcome mediation chain, every draw at once.

A resample is a vector of case weights (how often each person is drawn), so every model of the
chain is a *weighted* fit of the same rows, and a block of draws is fitted together:

* linear mediator models: weighted least squares for all draws in one batched solve
  (``(X' W_b X)^-1 X' W_b m`` stacked over draws ``b``);
* the log-linear count outcome: IRLS batched over draws (the working weights of draw ``b`` times
  its case weights; one batched solve per iteration), from the full-data estimates; for NB2 the
  ML ``theta`` of every draw by batched Newton steps on ``log theta`` between IRLS steps, as
  ``MASS::glm.nb`` alternates them.

No Python loop over draws: the loops are over IRLS iterations and over blocks of
``BLOCK`` draws (memory only; the draws come from one seeded stream in a fixed order, so results
do not depend on the block size). A draw whose outcome model does not converge is dropped and
counted.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK", "resample_weights", "batched_wls", "batched_count_fit"]

BLOCK = 250
THETA_MAX = 1e6


def resample_weights(rng: np.random.Generator, n: int, draws: int) -> np.ndarray:
    """(draws, n) case weights: counts of each row in ``draws`` resamples of size ``n``."""
    idx = rng.integers(0, n, size=(draws, n))
    w = np.zeros((draws, n))
    np.add.at(w, (np.repeat(np.arange(draws), n), idx.ravel()), 1.0)
    return w


def _solve(xtwx: np.ndarray, xtwz: np.ndarray) -> np.ndarray:
    """Batched solve; a singular draw gives NaN (dropped by the caller)."""
    out = np.full(xtwz.shape, np.nan)
    ok = np.isfinite(xtwx).all(axis=(1, 2)) & np.isfinite(xtwz).all(axis=1)
    ok[ok] = np.linalg.cond(xtwx[ok]) < 1e12
    if ok.any():
        out[ok] = np.linalg.solve(xtwx[ok], xtwz[ok][..., None])[..., 0]
    return out


def batched_wls(x: np.ndarray, m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(draws, p) weighted least-squares coefficients of ``m`` on ``x`` for every row of ``w``."""
    xw = w[:, :, None] * x[None]
    return _solve(np.einsum("bni,nj->bij", xw, x), np.einsum("bni,n->bi", xw, m))


def _digamma_sums(theta: np.ndarray, ymax: int) -> tuple[np.ndarray, np.ndarray]:
    """For whole-number counts, ``digamma(theta + y) - digamma(theta) = sum_{j<y} 1/(theta+j)``
    and ``trigamma(theta + y) - trigamma(theta) = -sum_{j<y} 1/(theta+j)^2``: (draws, ymax+1)
    tables of both, by cumulative sums (exact; far cheaper than polygamma per row)."""
    inv = 1.0 / (theta[:, None] + np.arange(ymax)[None])
    zero = np.zeros((len(theta), 1))
    return (np.hstack([zero, np.cumsum(inv, axis=1)]),
            -np.hstack([zero, np.cumsum(inv * inv, axis=1)]))


def _theta_newton(y, mu, w, wy, theta, steps=3):
    """Batched Newton steps for ``log theta`` of NB2 at fixed means (weighted score).

    ``wy``: (draws, ymax+1) case weights summed by count value (the digamma terms depend on
    the row only through its count)."""
    lt = np.log(theta)
    ymax = wy.shape[1] - 1
    for _ in range(steps):
        th1 = np.exp(lt)
        th = th1[:, None]
        dig, tri = _digamma_sums(th1, ymax)
        score = np.sum(wy * dig, axis=1) + np.sum(
            w * (np.log(th) + 1 - np.log(th + mu) - (y + th) / (mu + th)), axis=1)
        info = -np.sum(wy * tri, axis=1) + np.sum(
            w * (-1 / th + 2 / (mu + th) - (y + th) / (mu + th) ** 2), axis=1)
        d2 = -info * th1 * th1 + score * th1
        step = np.where(d2 < 0, np.clip(-score * th1 / np.where(d2 < 0, d2, -1.0), -2, 2),
                        np.sign(score))
        lt = np.minimum(lt + step, np.log(THETA_MAX))
    return np.exp(lt)


def batched_count_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, beta0: np.ndarray,
                      theta0: float | None, maxit: int = 60, tol: float = 1e-9
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Poisson (``theta0`` None) or NB2 log-linear fits of ``y`` on ``x`` with case weights
    ``w`` (draws, n), from ``beta0`` (and ``theta0``). Returns (draws, p) coefficients (NaN rows
    for draws that did not converge) and the converged flags."""
    draws = w.shape[0]
    beta = np.tile(beta0, (draws, 1))
    theta = None if theta0 is None else np.full(draws, float(theta0))
    done = np.zeros(draws, bool)
    yi = y.astype(int)
    wy = np.zeros((draws, int(yi.max()) + 1))
    for v in np.unique(yi):
        wy[:, v] = w[:, yi == v].sum(axis=1)
    for _ in range(maxit):
        eta = np.clip(beta @ x.T, -30, 30)
        mu = np.exp(eta)
        if theta is not None:
            theta = _theta_newton(y, mu, w, wy, theta)
            ww = w * mu / (1 + mu / theta[:, None])
        else:
            ww = w * mu
        z = eta + (y - mu) / mu
        xw = ww[:, :, None] * x[None]
        new = _solve(np.einsum("bni,nj->bij", xw, x), np.einsum("bni,bn->bi", xw, z))
        change = np.max(np.abs(new - beta), axis=1)
        beta = new
        done = np.isfinite(change) & (change < tol)
        if done.all():
            break
    beta[~done] = np.nan
    return beta, done
