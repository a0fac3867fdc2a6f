"""Information matrices and the covariance matrix of the estimates.

* expected information (lavaan ``information = "expected"``, ``h1.information = "structured"``):
  ``Delta' I_m Delta`` with ``I_m`` the expected information of the moments at the
  model-implied moments, summed over missing-data patterns;
* observed information (lavaan default with ``missing = "ml"``): minus the Hessian of the FIML
  log-likelihood, by central differences of the analytic gradient;
* first-order (cross-product) information ``sum_i s_i s_i'`` of the casewise scores; the robust
  "MLR" covariance is the Huber-White sandwich ``A^{-1} B A^{-1}`` with ``A`` the (observed or
  expected) information and ``B`` the first-order information (Yuan & Bentler 2000; lavaan
  ``se = "robust.huber.white"``).
"""

from __future__ import annotations

import numpy as np

from pipeline.sem.fiml import (
    PatternData,
    casewise_scores,
    expected_information,
    loglik_and_gradient,
)
from pipeline.sem.ram import RAMModel


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


def information_observed(model: RAMModel, theta: np.ndarray, data: PatternData,
                         rel_step: float = 1e-5) -> np.ndarray:
    """Observed information: minus the Hessian of the log-likelihood (numerical, symmetrised)."""
    k = theta.size
    hess = np.empty((k, k))
    for j in range(k):
        h = rel_step * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        gp, gm = gradient(model, tp, data)[1], gradient(model, tm, data)[1]
        if gp is None or gm is None:
            return np.full((k, k), np.nan)
        hess[:, j] = (gp - gm) / (2 * h)
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


def null_directions(info: np.ndarray, names: list[str], tol: float = 1e-6) -> list[list[str]]:
    """Parameters involved in (near-)singular directions of the information matrix.

    The information is first scaled to unit diagonal; eigenvectors whose eigenvalue is below
    ``tol`` times the largest span the non-identified directions.
    """
    d = np.sqrt(np.clip(np.diag(info), 1e-300, None))
    scaled = info / np.outer(d, d)
    vals, vecs = np.linalg.eigh(scaled)
    out = []
    for k in np.flatnonzero(vals < tol * max(vals.max(), 1e-300)):
        v = np.abs(vecs[:, k])
        out.append([names[i] for i in np.flatnonzero(v > 0.1 * v.max())])
    if np.any(np.diag(info) <= 0):
        out.append([names[i] for i in np.flatnonzero(np.diag(info) <= 0)])
    return out
