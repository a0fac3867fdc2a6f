"""The saturated (h1) model under missing data: ML means and covariance matrix.

The one saturated-model solver in the house: the SEM engine's h1 model (``fit_sem``'s
chi-square and fit measures, the baseline model's ``ov.x`` block) and Little's MCAR test
(:mod:`pipeline.stats.mcar`) both call :func:`fit_saturated`.

Method (issue 14: the old EM-then-Fisher-scoring polish needed 50-100 EM iterations and ~30
scoring steps, because under MAR the expected information is not the Hessian, so scoring
converges only linearly):

1. **Start** from the pairwise-available moments (available-case means; covariances from the
   rows that observe both variables, centred at those means), which are often close to the ML
   estimate; if that matrix is not positive definite, from the available-case diagonal.
2. **Newton-Raphson** on ``theta = (mu, vech Sigma)`` with the exact analytic Hessian of the
   FIML log-likelihood, built pattern by pattern from the sufficient statistics (``n_g``,
   ``ybar_g``, ``S_g``). For pattern ``g`` (``W = Sigma_oo^-1``, ``d = ybar - mu_o``,
   ``z = W d``, ``Q = W (S_g + d d') W``):

       d2l/dmu dmu'          = -n_g W
       d2l/dmu_i dsigma_ab   = -n_g (W_ia z_b + W_ib z_a) h_ab
       d2l/dsigma_ab dsigma_cd = -n_g (Q_ac W_bd + Q_bd W_ac + Q_ad W_bc + Q_bc W_ad
                                       - W_ac W_bd - W_ad W_bc) h_ab h_cd

   with ``h = 1/2`` on the diagonal of ``Sigma`` and 1 off it; at ``Q = W`` this is minus the
   expected information. Where ``-H`` is not positive definite (far from the maximum) the step
   is a Fisher-scoring step (expected information) instead. Each step is halved until the
   log-likelihood does not decrease. Convergence is quadratic: 3-8 steps from the pairwise start.
   The sums over patterns are matrix products over the pattern axis
   (:func:`pipeline.sem.fiml_moments.moment_derivatives`, shared with ``fit_sem``'s observed
   and expected information).
3. **Stop** when the Newton decrement ``g' H^-1 g`` (about twice the distance to the maximum in
   log-likelihood) is below ``tol``; the last step is then taken as well, so the estimates are
   exact to rounding. lavaan solves the same problem by EM
   (``lav_mvnorm_missing_h1_estimate_moments``), which can need 10^4-10^5 iterations when much
   information is missing (its default cap then leaves chi-square too low).

Bounded: at most ``max_iter`` (:data:`MAX_ITER`) steps; no wall-clock cap, because results must
not depend on the speed of the machine. Covariances of variables never observed together do not
enter the likelihood: they are not estimated by the steps; at the end they are filled so that
the two variables are conditionally independent given the others (:func:`complete_covariance`).
Singular data (a variable that is an exact linear combination of others where they are observed
together, or too few people in the patterns that observe a variable) have no ML estimate: the
likelihood grows without bound as ``Sigma`` approaches a singular matrix. The fit stops as soon
as some pattern's covariance matrix has a conditional variance below :data:`SINGULAR_TOL` of the
variance, or when no step can be taken below :data:`NEAR_SINGULAR` (``singular = True``), and
returns that nearly singular ``Sigma`` so that the caller can name the dependent variables.

:func:`em_step` (one EM iteration, Dempster, Laird & Rubin 1977; Little & Rubin 2002, ch. 11)
is kept as the textbook reference the tests check the solver against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.sem.fiml import PatternData, available_case_moments
from pipeline.sem.fiml_moments import moment_derivatives, stack_patterns

MAX_ITER = 200
"""Cap on Newton / scoring steps (a regular fit needs 3-8; singular data ~40 halvings)."""
SINGULAR_TOL = 1e-10
"""Relative conditional variance (1 - R^2 of a variable on the others) below which a pattern's
covariance matrix counts as singular."""
NEAR_SINGULAR = 1e-6
"""When no step can be computed or taken and the relative conditional variance is below this,
the data are taken as singular too (the information matrix fails first)."""


@dataclass(frozen=True)
class SaturatedFit:
    """Result of :func:`fit_saturated`; ``iterations`` counts Newton / scoring steps."""

    mu: np.ndarray
    sigma: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    singular: bool = False
    message: str = ""


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


def pairwise_start(data: PatternData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Available-case means, pairwise covariances (centred at those means, divisor = rows
    observing both) and the boolean matrix of pairs observed together. The covariance matrix
    falls back to the available-case diagonal when it is not positive definite."""
    p = data.p
    _, mean, var = available_case_moments(data)
    cross = np.zeros((p, p))
    count = np.zeros((p, p))
    for pat in data.patterns:
        dev = pat.ybar - mean[pat.obs]
        cross[pat.ix_oo] += pat.n * (pat.scov + np.outer(dev, dev))
        count[pat.ix_oo] += pat.n
    joint = count > 0
    sigma = np.where(joint, cross / np.maximum(count, 1), 0.0)
    np.fill_diagonal(sigma, np.maximum(np.diag(sigma), 1e-8))
    try:
        np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        sigma = np.diag(np.maximum(var, 1e-8))
    return mean, sigma, joint


def _cholesky_solve(mat: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """``mat^-1 g`` for a positive definite ``mat`` (scaled to unit diagonal first, which keeps
    the Cholesky factorisation stable when ``Sigma`` nears singularity); None if it is not."""
    diag = np.diag(mat)
    if not np.all(diag > 0):
        return None
    scale = 1.0 / np.sqrt(diag)
    try:
        chol = np.linalg.cholesky(mat * np.outer(scale, scale))
    except np.linalg.LinAlgError:
        return None
    return scale * np.linalg.solve(chol.T, np.linalg.solve(chol, scale * g))


def _unpack(theta: np.ndarray, sigma0: np.ndarray, vr: np.ndarray, vc: np.ndarray):
    p = sigma0.shape[0]
    sig = sigma0.copy()
    sig[vr, vc] = theta[p:]
    sig[vc, vr] = theta[p:]
    return sig, theta[:p]


def fit_saturated(data: PatternData, *, tol: float = 1e-10,
                  max_iter: int = MAX_ITER) -> SaturatedFit:
    """ML estimates of the unrestricted means and covariances from incomplete data.

    See the module docstring: Newton-Raphson (Fisher scoring far from the maximum) from the
    pairwise-available moments, at most ``max_iter`` steps, stopping when the Newton decrement
    is below ``tol``. ``converged`` is False when the cap is reached or no step can increase
    the log-likelihood; ``singular`` when the data make ``Sigma`` singular (no ML estimate).
    ``message`` says which, in words.
    """
    p = data.p
    nm = p + p * (p + 1) // 2
    mu, sigma, joint = pairwise_start(data)
    cols, rows = np.triu_indices(p)
    vr, vc = rows, cols
    keep = np.flatnonzero(np.concatenate([np.diag(joint), joint[vr, vc]]))  # identified
    sub = np.ix_(keep, keep)
    st = stack_patterns(data)
    theta = np.concatenate([mu, sigma[vr, vc]])
    ll, grad, neg_h, cond = moment_derivatives(sigma, mu, st)
    it, converged, singular, message = 0, False, False, ""
    while True:
        if cond < SINGULAR_TOL:
            singular = True
            message = "the covariance matrix is singular (no maximum-likelihood estimate)"
            break
        if it >= max_iter:
            message = f"no convergence in {max_iter} steps"
            break
        direction = _cholesky_solve(neg_h[sub], grad[keep])
        if direction is None:  # far from the maximum: a Fisher-scoring step
            info = moment_derivatives(sigma, mu, st, "expected")[2]
            direction = _cholesky_solve(info[sub], grad[keep])
        if direction is None:
            message = "the information matrix is singular"
            break
        step = np.zeros(nm)
        step[keep] = direction
        decrement = float(grad @ step)
        t, moved = 1.0, False
        while t > 1e-10:
            cand = theta + t * step
            sig_c, mu_c = _unpack(cand, sigma, vr, vc)
            res = moment_derivatives(sig_c, mu_c, st)
            if res[0] >= ll - 1e-12 * max(1.0, abs(ll)):
                theta, sigma, mu = cand, sig_c, mu_c
                ll, grad, neg_h, cond = res
                moved = True
                break
            t /= 2
        it += 1
        if decrement < tol:
            converged = True
            break
        if not moved:
            message = "no step increases the log-likelihood"
            break
    if not converged and not singular and cond < NEAR_SINGULAR:
        singular = True  # the steps failed on a covariance matrix running to singular
        message = "the covariance matrix is singular (no maximum-likelihood estimate)"
    if not joint.all():
        sigma = complete_covariance(sigma, joint)
    return SaturatedFit(mu, sigma, ll, it, converged, singular, message)


def complete_covariance(sigma: np.ndarray, known: np.ndarray, sweeps: int = 50) -> np.ndarray:
    """Fill the covariances of variable pairs never observed together (``known`` False): they
    do not enter the likelihood, so any value is an ML estimate; the one chosen makes the
    inverse zero there (the maximum-determinant positive definite completion, i.e. the two
    variables are conditionally independent given the others; Grone et al. 1984), by
    coordinate sweeps ``sigma_ij = sigma_iR sigma_RR^-1 sigma_Rj``. Left as it is if a sweep
    meets a singular block."""
    sigma = sigma.copy()
    todo = [(i, j) for i, j in zip(*np.nonzero(np.triu(~known, 1)))]
    p = sigma.shape[0]
    for _ in range(sweeps):
        change = 0.0
        for i, j in todo:
            rest = np.setdiff1d(np.arange(p), (i, j))
            try:
                new = sigma[i, rest] @ np.linalg.solve(sigma[np.ix_(rest, rest)], sigma[rest, j])
            except np.linalg.LinAlgError:
                return sigma
            change = max(change, abs(new - sigma[i, j]))
            sigma[i, j] = sigma[j, i] = new
        if change < 1e-12 * max(1.0, float(np.abs(sigma).max())):
            break
    return sigma
