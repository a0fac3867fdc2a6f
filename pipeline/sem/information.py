"""Information matrices and the covariance matrix of the estimates.

* expected information (lavaan ``information = "expected"``, ``h1.information = "structured"``):
  ``Delta' I_m Delta`` with ``I_m`` the expected information of the moments at the
  model-implied moments, summed over missing-data patterns;
* observed information (lavaan default with ``missing = "ml"``): minus the Hessian of the FIML
  log-likelihood, analytic in the moments (lavaan differentiates the gradient numerically:
  :func:`information_observed_numeric`, the same numbers to ~1e-9 relative);
* first-order (cross-product) information ``sum_i s_i s_i'`` of the casewise scores; the robust
  "MLR" covariance is the Huber-White sandwich ``A^{-1} B A^{-1}`` with ``A`` the (observed or
  expected) information and ``B`` the first-order information (Yuan & Bentler 2000; lavaan
  ``se = "robust.huber.white"``).

Identification (lavaan 0.6 ``lav_model_vcov`` and ``lav_model_information_augment_invert``,
with one deliberate difference). lavaan inverts the information with R's ``solve()``, which
refuses a matrix whose reciprocal condition number is below ``.Machine$double.eps`` ("Could
not compute standard errors! The information matrix could not be inverted"), and then, with
``check.vcov``, *warns* (no refusal) when the smallest eigenvalue of the covariance matrix of
the estimates is below ``.Machine$double.eps^(3/4)``. With ``missing = "ml"`` lavaan's default
information is the *numerical* observed information, whose rounding noise (~1e-9 to 1e-8 relative)
hides an exactly singular direction: lavaan then reports standard errors for a model that is not
identified. Here identification is decided on analytic quantities instead, each with lavaan's
zero tolerance ``eps^(3/4)`` (:data:`ZERO_TOL`):

* :func:`jacobian_null_directions`: the Jacobian ``Delta`` of the model-implied moments has
  full column rank (local identification, Rothenberg 1971); its columns are scaled to unit
  length, so the check is free of the data's units and of how collinear the variables are;
* :func:`null_directions` on the analytic expected information (lavaan's verdict with
  ``information = "expected"``): the data identify every parameter (e.g. no covariance of two
  variables that are never observed together).

Nearly collinear variables are *not* a reason to refuse: the information then has a condition
number of about ``cond(R)^2`` (repeated measures of a stable trait: ``cond(R) ~ 1500`` gives a
ratio ~5e-7 of its smallest to largest scaled eigenvalue), and lavaan fits such data with
standard errors. :func:`invert_information` applies R's ``solve()`` rule to the information the
standard errors use, and :func:`vcov_warning` gives lavaan's ``check.vcov`` warning as a note.
"""

from __future__ import annotations

import numpy as np

from pipeline.sem.fiml import PatternData, expected_information, loglik_and_gradient
from pipeline.sem.fiml_batch import (
    free_rows,
    implied_batch,
    loglik_grad,
    sample_stats,
    to_parameters,
)
from pipeline.sem.fiml_moments import first_order_moments, moment_derivatives, stack_patterns
from pipeline.sem.ram import RAMModel

EPS = float(np.finfo(float).eps)
#: lavaan's "zero": ``.Machine$double.eps^(3/4)`` (~1.8e-12), its ``check.vcov`` threshold and
#: the ``MASS::ginv`` tolerance of ``lav_model_information_augment_invert``.
ZERO_TOL = EPS ** 0.75


def gradient(model: RAMModel, theta: np.ndarray, data: PatternData
             ) -> tuple[float, np.ndarray | None]:
    """FIML log-likelihood and its gradient with respect to the free parameters."""
    sigma, mu = model.implied(theta)
    ll, gm = loglik_and_gradient(sigma, mu, data)
    if gm is None:
        return ll, None
    return ll, model.jacobian(theta).T @ gm


def information_expected(model: RAMModel, theta: np.ndarray, data: PatternData) -> np.ndarray:
    """Expected (Fisher) information of the free parameters (total over cases):
    ``Delta' I_m Delta`` with ``I_m`` summed over patterns in one pass
    (:func:`pipeline.sem.fiml_moments.moment_derivatives`; the per-pattern definition is
    :func:`pipeline.sem.fiml.expected_information`)."""
    sigma, mu = model.implied(theta)
    delta = model.jacobian(theta)
    info = moment_derivatives(sigma, mu, stack_patterns(data), "expected")[2]
    if info is None:  # an implied Sigma_oo not positive definite: the per-pattern definition
        info = expected_information(sigma, mu, data)
    return delta.T @ info @ delta


#: stacked evaluations per batch of :func:`information_observed_numeric` and of the curvature
#: term of :func:`information_observed` (memory: each holds a few (variables x variables)
#: matrices)
OBS_BATCH = 512


def _five_point(fun, theta: np.ndarray, step: float) -> np.ndarray | None:
    """Five-point central differences ``d fun / d theta`` (k x k, column j = direction j) of a
    batched vector function ``fun(thetas (A, k)) -> (values (A, k), ok (A,))``, evaluated in
    batches of :data:`OBS_BATCH`; None if some evaluation is not ok."""
    k = theta.size
    h = step * np.maximum(1.0, np.abs(theta))
    mults = np.array([-2.0, -1.0, 1.0, 2.0])
    th = np.repeat(theta[None], 4 * k, axis=0)
    th[np.arange(4 * k), np.tile(np.arange(k), 4)] += np.repeat(mults, k) * np.tile(h, 4)
    vals = np.empty_like(th)
    for s in range(0, 4 * k, OBS_BATCH):
        vals[s:s + OBS_BATCH], ok = fun(th[s:s + OBS_BATCH])
        if not np.all(ok):
            return None
    g = vals.reshape(4, k, k)  # g[m, j] = value with theta_j moved by mults[m] h_j
    return ((g[0] - 8 * g[1] + 8 * g[2] - g[3]) / (12 * h[:, None])).T


def information_observed_numeric(model: RAMModel, theta: np.ndarray, data: PatternData,
                                 step: float = 1e-6) -> np.ndarray:
    """Observed information as lavaan computes it: minus the Hessian by five-point central
    differences of the analytic gradient, symmetrised.

    Step ``h = step * max(1, |theta_j|)``, as lavaan's ``lav_model_hessian`` (``h = 1e-6``;
    error O(h^4); a two-point rule's O(h^2) error grows with ``1 / lambda_min(Sigma)`` and
    reached 0.1% of the SEs for repeated measures of a stable trait). The 4 k gradients are
    evaluated together (:func:`pipeline.sem.fiml_batch.loglik_grad`). Kept as the reference of
    :func:`information_observed` (its rounding noise is ~1e-9 relative; each gradient is a
    pass over every pattern, 4 k passes in all).
    """
    rows = free_rows(model)

    def fun(part):
        ll, g = loglik_grad(model, data, sample_stats(data, len(part)), part, rows)
        return g, np.isfinite(ll)

    hess = _five_point(fun, theta, step)
    if hess is None:
        return np.full((theta.size, theta.size), np.nan)
    return -(hess + hess.T) / 2


def information_observed(model: RAMModel, theta: np.ndarray, data: PatternData,
                         step: float = 1e-6) -> np.ndarray:
    """Observed information: minus the Hessian of the FIML log-likelihood, symmetrised.

    By the chain rule, ``H = Delta' H_m Delta + sum_k g_k d2 m_k / dtheta dtheta'`` with ``H_m``
    the exact Hessian and ``g`` the gradient of the log-likelihood with respect to the moments
    ``m = (mu, vech Sigma)`` (one pass over the patterns, all at once:
    :func:`pipeline.sem.fiml_moments.moment_derivatives`) and ``Delta`` the Jacobian. The
    second term vanishes when the moments are linear in the parameters (no free regression or
    loading: a saturated model such as the FIML wave means); otherwise it is the five-point
    derivative (step as :func:`information_observed_numeric`) of ``theta -> Delta(theta)' g``
    with ``g`` held at its value, which needs the RAM matrices only, not the data.

    The same quantity as lavaan's numerical Hessian (``lav_model_hessian``) without its
    rounding noise: :func:`information_observed_numeric` agrees to ~1e-9 relative. NaN where
    an implied covariance matrix is not positive definite.
    """
    k = theta.size
    sigma, mu = model.implied(theta)
    ll, grad_m, neg_h, _ = moment_derivatives(sigma, mu, stack_patterns(data), "observed")
    if neg_h is None or not np.isfinite(ll):
        return np.full((k, k), np.nan)
    delta = model.jacobian(theta)
    info = delta.T @ neg_h @ delta
    if np.any(model.kind == 0):
        info -= _curvature(model, theta, grad_m, step)
    return (info + info.T) / 2


def _curvature(model: RAMModel, theta: np.ndarray, grad_m: np.ndarray, step: float
               ) -> np.ndarray:
    """``sum_k g_k d2 m_k / dtheta dtheta'`` for moment gradients ``grad_m`` (mu, vech Sigma):
    five-point derivative of ``Delta(theta)' g`` in matrix form
    (:func:`pipeline.sem.fiml_batch.to_parameters`, ``g`` as the symmetric ``G`` of Sigma)."""
    p, m = model.p, len(model.names)
    G = np.zeros((m, m))
    G[model.vech_r, model.vech_c] = grad_m[p:]
    G[model.vech_c, model.vech_r] = grad_m[p:]
    G[:p, :p] *= np.where(np.eye(p, dtype=bool), 1.0, 0.5)  # vech off-diagonals count twice
    gm = np.zeros(m)
    gm[:p] = grad_m[:p]
    rows = free_rows(model)

    def fun(part):
        b, omega, mu_all = implied_batch(model, part)
        return to_parameters(model, b, omega, mu_all, G, gm, rows), np.ones(len(part), bool)

    return _five_point(fun, theta, step)


def information_first_order(model: RAMModel, theta: np.ndarray, data: PatternData) -> np.ndarray:
    """Cross-product of the casewise scores, ``sum_i s_i s_i'``
    (:func:`pipeline.sem.fiml_moments.first_order_moments`: pattern by pattern, no
    ``n x n_moments`` matrix)."""
    sigma, mu = model.implied(theta)
    return first_order_moments(sigma, mu, data, model.jacobian(theta))


def sandwich(bread_info: np.ndarray, meat: np.ndarray) -> np.ndarray:
    """Huber-White covariance ``A^{-1} B A^{-1}``."""
    a_inv = np.linalg.inv(bread_info)
    return a_inv @ meat @ a_inv


def _involved(vecs: np.ndarray, names: list[str]) -> list[list[str]]:
    """For each column of ``vecs`` (a null direction), the parameters that carry it."""
    out = []
    for v in np.abs(vecs.T):
        out.append([names[i] for i in np.flatnonzero(v > 0.1 * v.max())])
    return out


def jacobian_null_directions(delta: np.ndarray, names: list[str], tol: float = ZERO_TOL
                             ) -> list[list[str]]:
    """Parameters in directions along which the model-implied moments do not change.

    ``delta`` is the analytic Jacobian of the moments (``RAMModel.jacobian``). A parameter with
    a zero column (below machine epsilon times the largest) moves no moment; otherwise the
    columns are scaled to unit length and right singular vectors whose singular value is below
    ``tol`` times the largest are null directions: the model is not (locally) identified.
    Exact rank deficiency gives ~1e-16 here whatever the data; a saturated model gives 1 (each
    parameter moves its own moment), however collinear the variables.
    """
    norms = np.linalg.norm(delta, axis=0)
    zero = norms <= EPS * max(norms.max(initial=0.0), 1e-300)
    out = [[names[i]] for i in np.flatnonzero(zero)]
    keep = np.flatnonzero(~zero)
    if keep.size == 0:
        return out
    _, s, vt = np.linalg.svd(delta[:, keep] / norms[keep], full_matrices=True)
    sv = np.zeros(keep.size)
    sv[:s.size] = s
    null = vt[sv < tol * sv.max()]
    return out + _involved(null.T, [names[i] for i in keep])


def null_directions(info: np.ndarray, names: list[str], tol: float = ZERO_TOL
                    ) -> list[list[str]]:
    """Parameters involved in singular directions of the information matrix.

    The information is first scaled to unit diagonal; eigenvectors whose eigenvalue is below
    ``tol`` times the largest span the directions the data do not identify. ``tol`` is lavaan's
    zero (:data:`ZERO_TOL`), not a conditioning limit: nearly collinear variables give small
    but clearly non-zero ratios (about ``1 / cond(R)^2``) and are identified.
    """
    d = np.sqrt(np.clip(np.diag(info), 1e-300, None))
    scaled = info / np.outer(d, d)
    vals, vecs = np.linalg.eigh(scaled)
    out = _involved(vecs[:, vals < tol * max(vals.max(), 1e-300)], names)
    if np.any(np.diag(info) <= 0):
        out.append([names[i] for i in np.flatnonzero(np.diag(info) <= 0)])
    return out


def invert_information(info: np.ndarray) -> np.ndarray:
    """``info^{-1}`` as R's ``solve()`` gives it to lavaan: ``LinAlgError`` when the reciprocal
    condition number (1-norm) is below machine epsilon ("computationally singular")."""
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(info, 1)
    if not np.isfinite(cond) or 1.0 / cond < EPS:
        raise np.linalg.LinAlgError("the information matrix is computationally singular")
    return np.linalg.inv(info)


def vcov_warning(vcov: np.ndarray, tol: float = ZERO_TOL) -> float | None:
    """lavaan's ``check.vcov``: the smallest eigenvalue of the covariance matrix of the
    estimates if it is below ``tol`` (lavaan warns "vcov does not appear to be positive
    definite"), else ``None``."""
    low = float(np.linalg.eigvalsh((vcov + vcov.T) / 2).min())
    return low if low < tol else None
