"""Information matrices and the covariance matrix of the estimates.

* expected information (lavaan ``information = "expected"``, ``h1.information = "structured"``):
  ``Delta' I_m Delta`` with ``I_m`` the expected information of the moments at the
  model-implied moments, summed over missing-data patterns;
* observed information (lavaan default with ``missing = "ml"``): minus the Hessian of the FIML
  log-likelihood, by five-point central differences of the analytic gradient (as lavaan);
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

from pipeline.sem.fiml import (
    PatternData,
    casewise_scores,
    expected_information,
    loglik_and_gradient,
)
from pipeline.sem.fiml_batch import free_rows, loglik_grad, sample_stats
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
    """Expected (Fisher) information of the free parameters (total over cases)."""
    sigma, mu = model.implied(theta)
    delta = model.jacobian(theta)
    return delta.T @ expected_information(sigma, mu, data) @ delta


#: stacked gradient evaluations per batch of :func:`information_observed` (memory: each holds
#: a few (variables x variables) matrices)
OBS_BATCH = 512


def information_observed(model: RAMModel, theta: np.ndarray, data: PatternData,
                         step: float = 1e-6) -> np.ndarray:
    """Observed information: minus the Hessian of the log-likelihood, symmetrised.

    Five-point central differences of the analytic gradient with step ``h = step * max(1,
    |theta_j|)``, as lavaan's ``lav_model_hessian`` (``h = 1e-6``; error O(h^4)). A two-point
    rule is not enough for nearly collinear variables: its O(h^2) error grows with the third
    derivatives, i.e. with ``1 / lambda_min(Sigma)``, and reached 0.1% of the SEs for repeated
    measures of a stable trait (correlation condition number ~1500). The 4 k gradients are
    evaluated together (:func:`pipeline.sem.fiml_batch.loglik_grad`, in batches of
    :data:`OBS_BATCH`): one pass over the patterns instead of 4 k.
    """
    k = theta.size
    h = step * np.maximum(1.0, np.abs(theta))
    mults = np.array([-2.0, -1.0, 1.0, 2.0])
    th = np.repeat(theta[None], 4 * k, axis=0)
    th[np.arange(4 * k), np.tile(np.arange(k), 4)] += np.repeat(mults, k) * np.tile(h, 4)
    rows = free_rows(model)
    grads = np.empty_like(th)
    for s in range(0, 4 * k, OBS_BATCH):
        part = th[s:s + OBS_BATCH]
        ll, grads[s:s + OBS_BATCH] = loglik_grad(model, data, sample_stats(data, len(part)),
                                                 part, rows)
        if not np.all(np.isfinite(ll)):
            return np.full((k, k), np.nan)
    g = grads.reshape(4, k, k)  # g[m, j] = gradient with theta_j moved by mults[m] h_j
    hess = ((g[0] - 8 * g[1] + 8 * g[2] - g[3]) / (12 * h[:, None])).T
    return -(hess + hess.T) / 2


def information_first_order(model: RAMModel, theta: np.ndarray, data: PatternData) -> np.ndarray:
    """Cross-product of the casewise scores, ``sum_i s_i s_i'``."""
    sigma, mu = model.implied(theta)
    scores = casewise_scores(sigma, mu, data) @ model.jacobian(theta)
    return scores.T @ scores


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
