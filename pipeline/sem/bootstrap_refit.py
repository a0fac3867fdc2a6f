"""Batched FIML refits of many case-weighted resamples of one model (for :mod:`.bootstrap`).

A resample is a vector of integer case weights, so each missing-data pattern's weighted
sufficient statistics (n, mean, ML covariance) for a stack of draws are one matrix product of
the counts with the pattern's centred data and cross-products (no data copied). All draws are
then refitted together in lock step, each with its own parameters, curvature and step length:

1. quasi-Newton from the original estimates: the inverse curvature starts at the sample's
   observed information (a resample's Hessian differs from it by resampling noise only) and is
   refined by BFGS updates (Nocedal & Wright 2006, eq. 6.17); most draws converge in 5-20 steps;
2. draws still running (their optimum is far away, e.g. near a variance boundary) continue in
   rounds that restart the curvature at their own expected (Fisher) information, as
   :func:`pipeline.sem.estimate.fisher_scoring` does; a draw not converged after ``ROUNDS``
   rounds (150 steps in all) has failed (lavaan: "no convergence"). Such draws sit on a nearly
   flat ridge (the model is empirically not identified in that resample: in the RI-CLPM
   on ``panel_proper.csv``, scoring + BFGS either never converges on them or wanders to
   estimates of +-100 for a gain of 1e-3 in log-likelihood).

The log-likelihood and gradient of a stack of draws come from :mod:`pipeline.sem.fiml_batch`
(matrix form, per-draw batched linear algebra, so a draw's result does not depend on which
other draws share its batch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.sem.fiml import PatternData
from pipeline.sem.fiml_batch import chol_inv, free_rows, implied_batch
from pipeline.sem.fiml_batch import loglik_grad as _loglik_grad
from pipeline.sem.ram import RAMModel

__all__ = ["RefitModel", "pattern_stats", "loglik_grad", "observed_information",
           "expected_information", "refit_draws"]

TOL = 1e-10        # Newton decrement at convergence (as fisher_scoring)
FIRST_STEPS = 30   # quasi-Newton steps from the sample's curvature
ROUNDS = 12        # then rounds restarted at the draw's expected information ...
ROUND_STEPS = 10   # ... of this many quasi-Newton steps each
STATS_ROWS = 50    # draws per matrix product of the pattern statistics (= bootstrap.BLOCK)


@dataclass
class RefitModel:
    """A fitted model prepared for batched refits."""

    ram: RAMModel
    pdat: PatternData
    theta: np.ndarray            # the sample estimates (start of every refit)
    free_rows: tuple             # per RAM free row: kind, i, j, gradient factor
    pattern_data: list           # per pattern: (rows, centred data, cross-products, mean)
    metric: np.ndarray | None = None  # inverse of the sample's observed information

    @classmethod
    def build(cls, ram: RAMModel, pdat: PatternData, theta: np.ndarray) -> RefitModel:
        pats = []
        for pat in pdat.patterns:
            yc = pat.y - pat.ybar
            r, c = np.triu_indices(len(pat.obs))
            pats.append((pat.rows, yc, yc[:, r] * yc[:, c], pat.ybar))
        mod = cls(ram, pdat, np.asarray(theta, dtype=float), free_rows(ram), pats)
        info = observed_information(mod)
        if np.all(np.isfinite(info)) and np.linalg.eigvalsh(info).min() > 0:
            mod.metric = np.linalg.inv(info)
        return mod


def _by_rows(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``w @ x`` in blocks of ``STATS_ROWS`` rows of ``w``: BLAS may round a row's product
    differently with the number of rows (its kernels block the matrix), so a fixed block size
    keeps each draw's statistics, and hence its refit, independent of the chunk it is in."""
    return np.concatenate([w[i:i + STATS_ROWS] @ x for i in range(0, len(w), STATS_ROWS)])


def pattern_stats(mod: RefitModel, counts: np.ndarray) -> list:
    """Per pattern, for every draw: weighted n, mean and ML covariance of the resampled cases."""
    out = []
    for (rows, yc, cross, ybar), pat in zip(mod.pattern_data, mod.pdat.patterns):
        w = counts[:, rows]
        n_b = w.sum(axis=1)
        safe = np.maximum(n_b, 1.0)[:, None]
        d = _by_rows(w, yc) / safe
        m2 = _by_rows(w, cross) / safe
        k = len(pat.obs)
        r, c = np.triu_indices(k)
        S = np.empty((len(n_b), k, k))
        S[:, r, c] = m2
        S[:, c, r] = m2
        S -= d[:, :, None] * d[:, None, :]
        out.append((n_b, ybar + d, S))
    return out


def loglik_grad(mod: RefitModel, st: list, theta: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """FIML log-likelihood (``-inf`` where an implied covariance is not positive definite) and
    its gradient with respect to the free parameters, for every draw of the stack."""
    return _loglik_grad(mod.ram, mod.pdat, st, theta, mod.free_rows)


def _subset(st: list, rows: np.ndarray) -> list:
    return [(n[rows], y[rows], s[rows]) for n, y, s in st]


def observed_information(mod: RefitModel, rel_step: float = 1e-5) -> np.ndarray:
    """Observed information of the sample at the estimates: central differences of the analytic
    gradient, all 2 n_free evaluations in one batch (as ``information.information_observed``)."""
    k = mod.theta.size
    h = rel_step * np.maximum(1.0, np.abs(mod.theta))
    th = np.repeat(mod.theta[None], 2 * k, axis=0)
    th[np.arange(k), np.arange(k)] += h
    th[k + np.arange(k), np.arange(k)] -= h
    _, g = loglik_grad(mod, pattern_stats(mod, np.ones((2 * k, mod.pdat.n_obs))), th)
    hess = (g[:k] - g[k:]).T / (2 * h)
    return -(hess + hess.T) / 2


def _jacobian(ram: RAMModel, b: np.ndarray, omega: np.ndarray, mu_all: np.ndarray
              ) -> np.ndarray:
    """Batched :meth:`pipeline.sem.ram.RAMModel.jacobian`: (A, n_moments, n_free)."""
    p, r, c = ram.p, ram.vech_r, ram.vech_c
    A, nrow = b.shape[0], len(ram.kind)
    bo = b[:, :p, :]
    i, j = ram.row_i, ram.row_j
    ka, ks, km = ram.kind == 0, ram.kind == 1, ram.kind == 2
    dmu = np.zeros((A, p, nrow))
    dsig = np.zeros((A, len(r), nrow))
    if ka.any():
        u, w = bo[:, :, i[ka]], omega[:, j[ka], :p].transpose(0, 2, 1)
        dsig[:, :, ka] = u[:, r] * w[:, c] + w[:, r] * u[:, c]
        dmu[:, :, ka] = u * mu_all[:, None, j[ka]]
    if ks.any():
        u, w = bo[:, :, i[ks]], bo[:, :, j[ks]]
        val = u[:, r] * w[:, c] + w[:, r] * u[:, c]
        val[:, :, i[ks] == j[ks]] *= 0.5
        dsig[:, :, ks] = val
    if km.any():
        dmu[:, :, km] = bo[:, :, i[km]]
    rows = np.concatenate([dmu, dsig], axis=1)
    delta = np.zeros((A, rows.shape[1], ram.n_free))
    np.add.at(delta, (slice(None), slice(None), ram.row_par), rows)
    return delta


def expected_information(mod: RefitModel, st: list, theta: np.ndarray) -> np.ndarray:
    """Expected (Fisher) information of the free parameters for every draw, ``Delta' I_m Delta``
    (batched :func:`pipeline.sem.information.information_expected` with case weights)."""
    ram = mod.ram
    b, omega, mu_all = implied_batch(ram, theta)
    A, nm = theta.shape[0], ram.n_moments
    info = np.zeros((A, nm, nm))
    for pat, (n_b, _, _) in zip(mod.pdat.patterns, st):
        o, vr, vc, mv = pat.obs, pat.vr, pat.vc, pat.mom_vech
        w, _, _ = chol_inv(omega[:, o[:, None], o[None, :]])
        info[:, o[:, None], o[None, :]] += n_b[:, None, None] * w
        half = np.where(vr == vc, 0.5, 1.0)
        vi = (w[:, vr[:, None], vr[None, :]] * w[:, vc[:, None], vc[None, :]]
              + w[:, vr[:, None], vc[None, :]] * w[:, vc[:, None], vr[None, :]])
        info[:, mv[:, None], mv[None, :]] += n_b[:, None, None] * vi * np.outer(half, half)
    delta = _jacobian(ram, b, omega, mu_all)
    return delta.transpose(0, 2, 1) @ info @ delta


def _quasi_newton(mod: RefitModel, st: list, theta: np.ndarray, H: np.ndarray, steps: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``steps`` BFGS steps per draw from ``theta`` with inverse curvature ``H`` (both
    per draw; ``H`` is updated in place). Returns the positions reached and which converged.
    The working arrays hold the draws still running; a draw leaves when it converges or when its
    line search fails (Armijo backtracking down to a step of 1e-10)."""
    theta = theta.copy()
    done = np.zeros(theta.shape[0], dtype=bool)
    ll, g = loglik_grad(mod, st, theta)
    act = np.flatnonzero(np.isfinite(ll))
    th, ll, g, H = theta[act], ll[act], g[act], H[act]
    for _ in range(steps):
        step = (H @ g[:, :, None])[:, :, 0]
        dec = np.einsum("af,af->a", g, step)
        conv = dec < TOL
        done[act[conv]] = True
        theta[act] = th
        if conv.any():  # compact (copies H: only when a draw leaves)
            keep = ~conv
            act, th, ll, g, H, step, dec = (v[keep] for v in (act, th, ll, g, H, step, dec))
        if act.size == 0:
            break
        t = np.ones(act.size)
        pending = np.arange(act.size)
        g_old = g.copy()
        while pending.size and t[pending[0]] > 1e-10:
            cand = th[pending] + t[pending, None] * step[pending]
            ll_c, g_c = loglik_grad(mod, _subset(st, act[pending]), cand)
            good = ll_c >= ll[pending] + 1e-4 * t[pending] * dec[pending]
            acc = pending[good]
            th[acc], ll[acc], g[acc] = cand[good], ll_c[good], g_c[good]
            pending = pending[~good]
            t[pending] /= 2
        theta[act] = th
        if pending.size:
            moved = np.ones(act.size, dtype=bool)
            moved[pending] = False
            act, th, ll, g, H, step, t, g_old = (v[moved] for v in (act, th, ll, g, H, step, t,
                                                                     g_old))
        _bfgs_update(H, t[:, None] * step, g_old - g)
    theta[act] = th
    return theta, done


def refit_draws(mod: RefitModel, st: list) -> tuple[np.ndarray, np.ndarray]:
    """Refit every draw (weighted pattern statistics ``st``); (A, n_free) estimates and the
    converged mask. See the module docstring for the two phases."""
    A = len(st[0][0])
    theta = np.repeat(mod.theta[None], A, axis=0)
    theta, done = _quasi_newton(mod, st, theta, np.repeat(mod.metric[None], A, axis=0),
                                FIRST_STEPS)
    for _ in range(ROUNDS):
        rest = np.flatnonzero(~done)
        if rest.size == 0:
            break
        H, _, ok = chol_inv(expected_information(mod, _subset(st, rest), theta[rest]))
        rest, H = rest[ok], H[ok]
        if rest.size == 0:
            break
        theta[rest], done[rest] = _quasi_newton(mod, _subset(st, rest), theta[rest], H,
                                                ROUND_STEPS)
    return theta, done


def _bfgs_update(H: np.ndarray, s: np.ndarray, y: np.ndarray) -> None:
    """In place, where y's > 0: ``H <- (I - r s y') H (I - r y s') + r s s'`` (r = 1 / y's),
    written as the rank-2 update ``s u' + Hy v'``."""
    sy = np.einsum("af,af->a", s, y)
    ok = sy > 1e-12 * np.linalg.norm(s, axis=1) * np.linalg.norm(y, axis=1)
    r = np.where(ok, 1.0 / np.where(ok, sy, 1.0), 0.0)[:, None]
    hy = (H @ y[:, :, None])[:, :, 0]
    c = r * r * np.einsum("af,af->a", y, hy)[:, None] + r
    left = np.stack([s, hy], axis=2)                    # (A, n, 2)
    right = np.stack([c * s - r * hy, -r * s], axis=1)  # (A, 2, n)
    H += left @ right
