"""The saturated (h1) model under missing data: ML means and covariance matrix.

EM algorithm for the multivariate normal (Dempster, Laird & Rubin 1977; Little & Rubin 2002,
ch. 11): the E-step replaces each case's missing values by their regression on its observed
values and adds the conditional covariance; the M-step takes the completed sample moments.
EM is run to a moderate tolerance and then polished by Fisher scoring on (mu, vech Sigma) with
the FIML gradient and expected information (quadratic convergence), so that
``unrestricted.logl`` (and hence chi-square) is exact to machine precision. lavaan's
``lav_mvnorm_missing_h1_estimate_moments`` solves the same problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.sem.fiml import (
    PatternData,
    available_case_moments,
    expected_information,
    loglik,
    loglik_and_gradient,
)


@dataclass(frozen=True)
class SaturatedFit:
    mu: np.ndarray
    sigma: np.ndarray
    loglik: float
    iterations: int
    converged: bool


def _available_case_start(data: PatternData) -> tuple[np.ndarray, np.ndarray]:
    _, mu, var = available_case_moments(data)
    var = np.maximum(var, 1e-8)
    return mu, np.diag(var)


def em_step(mu: np.ndarray, sigma: np.ndarray, data: PatternData) -> tuple[np.ndarray, np.ndarray]:
    """One EM iteration for the saturated normal model."""
    p = data.p
    t1 = np.zeros(p)
    t2 = np.zeros((p, p))
    for pat in data.patterns:
        o = pat.obs
        m = pat.mis
        sum_y = pat.n * pat.ybar
        sum_yy = pat.n * (pat.scov + np.outer(pat.ybar, pat.ybar))
        if len(m) == 0:
            t1 += sum_y
            t2 += sum_yy
            continue
        beta = np.linalg.solve(sigma[pat.ix_oo], sigma[pat.ix_om]).T  # (m x o)
        alpha = mu[m] - beta @ mu[o]
        cond_cov = sigma[pat.ix_mm] - beta @ sigma[pat.ix_om]
        sum_ym = pat.n * alpha + beta @ sum_y
        t1[o] += sum_y
        t1[m] += sum_ym
        t2[pat.ix_oo] += sum_yy
        cross = np.outer(sum_y, alpha) + sum_yy @ beta.T                     # sum y_o y_m'
        t2[pat.ix_om] += cross
        t2[pat.ix_mo] += cross.T
        t2[pat.ix_mm] += (pat.n * (cond_cov + np.outer(alpha, alpha))
                             + beta @ np.outer(sum_y, alpha) + np.outer(alpha, sum_y) @ beta.T
                             + beta @ sum_yy @ beta.T)
    n = data.n_obs
    mu_new = t1 / n
    return mu_new, t2 / n - np.outer(mu_new, mu_new)


def _unpack(theta: np.ndarray, p: int, vr: np.ndarray, vc: np.ndarray):
    sig = np.zeros((p, p))
    sig[vr, vc] = theta[p:]
    sig[vc, vr] = theta[p:]
    return sig, theta[:p]


def fit_saturated(data: PatternData, *, em_tol: float = 1e-5, max_em: int = 2000,
                  tol: float = 1e-10) -> SaturatedFit:
    """ML estimates of the unrestricted means and covariances from incomplete data."""
    p = data.p
    mu, sigma = _available_case_start(data)
    ll_old = loglik(sigma, mu, data)
    it = 0
    for it in range(1, max_em + 1):
        mu, sigma = em_step(mu, sigma, data)
        ll = loglik(sigma, mu, data)
        if abs(ll - ll_old) < em_tol * max(1.0, abs(ll)):
            break
        ll_old = ll
    cols, rows = np.triu_indices(p)
    vr, vc = rows, cols
    theta = np.concatenate([mu, sigma[vr, vc]])
    converged = False
    for _ in range(50):  # Fisher scoring polish
        sig, m = _unpack(theta, p, vr, vc)
        ll, grad = loglik_and_gradient(sig, m, data)
        info = expected_information(sig, m, data)
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        if grad @ step < tol:
            converged = True
            break
        t = 1.0
        while t > 1e-4:
            cand = theta + t * step
            if loglik(*_unpack(cand, p, vr, vc), data) >= ll - 1e-12:
                theta = cand
                break
            t /= 2
        else:
            break
        it += 1
    sigma, mu = _unpack(theta, p, vr, vc)
    return SaturatedFit(mu, sigma, loglik(sigma, mu, data), it, converged)
