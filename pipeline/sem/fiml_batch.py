"""Batched FIML: log-likelihood and gradient for a stack of parameter vectors at once.

Shared by the bootstrap refits (:mod:`pipeline.sem.bootstrap_refit`: many resamples, each with
its own parameters and weighted pattern statistics) and lavaan's numerical observed information
(:func:`pipeline.sem.information.information_observed_numeric`: the 4 k gradients of the
five-point rule evaluated together); :func:`to_parameters` (moment gradients to parameter
gradients) also gives the curvature term of the analytic
:func:`pipeline.sem.information.information_observed`. Per pattern ``g`` the statistics of
each stacked evaluation ``a`` are
``(n_a, ybar_a, S_a)`` (case count, mean, ML covariance; see :mod:`pipeline.sem.fiml` for the
formulas); :func:`sample_stats` gives the sample's own, shared by every evaluation.

The gradient is computed in matrix form, without the Jacobian: with the moment gradients ``G``
(of Sigma, observed block of the RAM matrices) and ``g`` (of mu), ``dL/dA = 2 B'G Omega +
(B'g) mu_all'``, ``dL/dS = B'GB`` (off-diagonal elements twice), ``dL/dm = B'g``. Every array
operation is per evaluation (batched linear algebra, row sums), so a result does not depend on
which other evaluations share its batch (``einsum`` is avoided for the reductions: its SIMD
summation order depends on the size of the stack, which changed the last bit of the
log-likelihood).
"""

from __future__ import annotations

import numpy as np

from pipeline.sem.fiml import LOG2PI, PatternData
from pipeline.sem.ram import RAMModel

__all__ = ["chol_inv", "implied_batch", "loglik_grad", "sample_stats", "free_rows",
           "to_parameters"]


def free_rows(ram: RAMModel) -> tuple:
    """Per RAM free row: kind, i, j and the gradient factor (2 for a symmetric S element)."""
    scale = np.where((ram.kind == 1) & (ram.row_i != ram.row_j), 2.0, 1.0)
    return ram.kind, ram.row_i, ram.row_j, scale


def sample_stats(pdat: PatternData, A: int) -> list:
    """The sample's pattern statistics for ``A`` stacked evaluations (means and covariances
    shared, broadcast by :func:`loglik_grad`)."""
    return [(np.full(A, float(pat.n)), pat.ybar, pat.scov) for pat in pdat.patterns]


def implied_batch(ram: RAMModel, theta: np.ndarray):
    """Batched RAM: (B, Omega, mu_all) for a stack of parameter vectors (A, n_free)."""
    A, m = theta.shape[0], len(ram.names)
    vals = theta[:, ram.row_par]
    a = np.repeat(ram.a0[None], A, axis=0)
    s = np.repeat(ram.s0[None], A, axis=0)
    mm = np.repeat(ram.m0[None], A, axis=0)
    ka, ks, km = ram.kind == 0, ram.kind == 1, ram.kind == 2
    a[:, ram.row_i[ka], ram.row_j[ka]] = vals[:, ka]
    s[:, ram.row_i[ks], ram.row_j[ks]] = vals[:, ks]
    s[:, ram.row_j[ks], ram.row_i[ks]] = vals[:, ks]
    mm[:, ram.row_i[km]] = vals[:, km]
    b = np.linalg.inv(np.eye(m) - a)
    omega = b @ s @ b.transpose(0, 2, 1)
    return b, omega, (b @ mm[:, :, None])[:, :, 0]


def _cholesky_screened(sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky factors of a stack, identity where a matrix is not positive definite."""
    ok = np.ones(len(sig), dtype=bool)
    try:
        return np.linalg.cholesky(sig), ok
    except np.linalg.LinAlgError:  # some are not positive definite: screen, then factor the rest
        L = np.repeat(np.eye(sig.shape[-1])[None], len(sig), axis=0)
        ok = np.linalg.eigvalsh(sig)[:, 0] > 0
        try:
            L[ok] = np.linalg.cholesky(sig[ok])
        except np.linalg.LinAlgError:
            for a in np.flatnonzero(ok):
                try:
                    L[a] = np.linalg.cholesky(sig[a])
                except np.linalg.LinAlgError:
                    ok[a] = False
        return L, ok


def chol_inv(sig: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse, log-determinant and positive-definiteness of a stack of covariance matrices
    (Cholesky, then the triangular inverse by forward substitution: numpy's general ``inv``
    costs several times more on small stacked matrices)."""
    L, ok = _cholesky_screened(sig)
    dinv = 1.0 / np.diagonal(L, axis1=-2, axis2=-1)
    li = np.zeros_like(L)
    for i in range(L.shape[-1]):
        li[:, i, i] = dinv[:, i]
        if i:
            li[:, i, :i] = -(L[:, i:i + 1, :i] @ li[:, :i, :i])[:, 0, :] * dinv[:, i, None]
    logdet = -2.0 * np.log(dinv).sum(axis=-1)
    return li.transpose(0, 2, 1) @ li, logdet, ok


def loglik_grad(ram: RAMModel, pdat: PatternData, st: list, theta: np.ndarray,
                rows: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """FIML log-likelihood (``-inf`` where an implied covariance is not positive definite) and
    its gradient with respect to the free parameters, for every row of ``theta`` (A, n_free)
    with pattern statistics ``st``; ``rows``: :func:`free_rows` of ``ram`` (precomputed)."""
    b, omega, mu_all = implied_batch(ram, theta)
    A, m = theta.shape[0], len(ram.names)
    ll = np.zeros(A)
    ok = np.ones(A, dtype=bool)
    G = np.zeros((A, m, m))
    gm = np.zeros((A, m))
    for pat, (n_b, ybar, S) in zip(pdat.patterns, st):
        if not n_b.any():  # pattern absent from every evaluation of the batch
            continue
        o = pat.obs
        w, logdet, okg = chol_inv(omega[:, o[:, None], o[None, :]])
        ok &= okg | (n_b == 0)
        d = ybar - mu_all[:, o]
        M = S + d[:, :, None] * d[:, None, :]
        trace = (w * M).reshape(len(w), -1).sum(axis=1)  # not einsum: its sums vary with A
        ll -= 0.5 * n_b * (len(o) * LOG2PI + logdet + trace)
        wd = (w @ d[:, :, None])[:, :, 0]
        gm[:, o] += n_b[:, None] * wd
        G[:, o[:, None], o[None, :]] -= 0.5 * n_b[:, None, None] * (w - w @ M @ w)
    grad = to_parameters(ram, b, omega, mu_all, G, gm, rows)
    ll[~ok] = -np.inf
    return ll, grad


def to_parameters(ram: RAMModel, b: np.ndarray, omega: np.ndarray, mu_all: np.ndarray,
                  G: np.ndarray, gm: np.ndarray, rows: tuple | None = None) -> np.ndarray:
    """Gradient with respect to the free parameters (A, n_free) from the moment gradients
    ``G`` (of the symmetric Sigma, padded to all variables: (A, m, m) or one (m, m)) and ``gm``
    (of mu_all: (A, m) or (m,)) at the stacked RAM matrices ``b, omega, mu_all``
    (:func:`implied_batch`): ``Delta(theta)' g`` without the Jacobian."""
    bt = b.transpose(0, 2, 1)
    btg = bt @ G
    btgm = (bt @ np.broadcast_to(gm, mu_all.shape)[:, :, None])[:, :, 0]
    d_a = 2.0 * btg @ omega + btgm[:, :, None] * mu_all[:, None, :]
    d_s = btg @ b
    kind, ri, rj, scale = rows if rows is not None else free_rows(ram)
    rowvals = np.where(kind == 0, d_a[:, ri, rj], np.where(kind == 1, d_s[:, ri, rj] * scale,
                                                           btgm[:, ri]))
    grad = np.zeros((b.shape[0], ram.n_free))
    np.add.at(grad, (slice(None), ram.row_par), rowvals)
    return grad
