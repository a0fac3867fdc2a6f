"""Linear mixed model with a random intercept per participant (lme4's ``lmer``), fitted by REML.

Model::

    y_it = x_it' beta + u_i + e_it,    u_i ~ N(0, tau^2),  e_it ~ N(0, sigma^2)

fitted by REML (``reml=True``, lme4's default; Laird & Ware 1982) or ML with statsmodels
``MixedLM``. Under MAR the likelihood uses every observed wave, so people who drop out still
inform the earlier waves (Little & Rubin 2019, ch. 6).

The covariance of the fixed effects is lme4's ``vcov()``: ``(X' V^-1 X)^-1`` at the REML
variance estimates (statsmodels' ``cov_params()`` instead inverts the joint Hessian of fixed and
variance parameters, which gives SEs a few percent larger, so it is not used).

Model-based means and contrasts of the fit (emmeans) are in :mod:`pipeline.stats.emmeans`.

In R::

    fit <- lme4::lmer(y ~ x1 + x2 + (1 | pid), data = d, REML = TRUE)
    fixef(fit); vcov(fit); VarCorr(fit); logLik(fit)
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.status import Status

__all__ = [
    "DEFAULT_OPTIMIZERS",
    "RandomInterceptFit",
    "fixed_effects_vcov",
    "fit_random_intercept",
]

log = logging.getLogger(__name__)

DEFAULT_OPTIMIZERS = ("lbfgs", "bfgs", "powell")


@dataclass(frozen=True)
class RandomInterceptFit:
    """Result of :func:`fit_random_intercept`.

    ``status`` is :attr:`Status.OK` or :attr:`Status.FAILED` (every optimiser failed; the
    estimates are then None and ``notes`` lists the attempts).
    """

    status: Status
    beta: np.ndarray | None = None
    vcov: np.ndarray | None = None
    sigma2: float = float("nan")
    tau2: float = float("nan")
    loglik: float = float("nan")
    optimizer: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == Status.OK


def fixed_effects_vcov(
    X: np.ndarray, groups: np.ndarray, sigma2: float, tau2: float
) -> np.ndarray:
    """Covariance of the fixed effects of a random-intercept model: ``(X' V^-1 X)^-1``.

    With ``V_i = sigma2 I + tau2 J``, ``V_i^-1 = (I - c_i J) / sigma2`` where
    ``c_i = tau2 / (sigma2 + n_i tau2)`` (Sherman-Morrison), so
    ``X'V^-1X = (X'X - sum_i c_i s_i s_i') / sigma2`` with ``s_i`` the column sums of group i.

    In R: ``vcov(lme4::lmer(...))``.
    """
    codes, uniq = pd.factorize(groups)
    s = np.zeros((len(uniq), X.shape[1]))
    np.add.at(s, codes, X)
    n_i = np.bincount(codes)
    c = tau2 / (sigma2 + n_i * tau2)
    info = (X.T @ X - (s * c[:, None]).T @ s) / sigma2
    return np.linalg.inv(info)


def _fit_once(y: np.ndarray, X: np.ndarray, groups: np.ndarray, reml: bool, method: str):
    """One statsmodels MixedLM fit (random intercept per group); returns the results object."""
    import statsmodels.api as sm

    model = sm.MixedLM(y, X, groups=groups)
    return model.fit(reml=reml, method=method)


def _valid(res) -> tuple[np.ndarray, float, float, bool]:
    """Fixed effects, sigma^2, tau^2 of a statsmodels result and whether they are usable."""
    beta = np.asarray(res.fe_params, dtype=float)
    sigma2 = float(res.scale)
    tau2 = float(np.asarray(res.cov_re)[0, 0])
    valid = (
        bool(getattr(res, "converged", False))
        and np.all(np.isfinite(beta))
        and np.isfinite(sigma2)
        and sigma2 > 0
        and np.isfinite(tau2)
        and tau2 >= 0
    )
    return beta, sigma2, tau2, bool(valid)


def fit_random_intercept(
    y: np.ndarray,
    X: np.ndarray,
    groups: np.ndarray,
    reml: bool = True,
    optimizers: Sequence[str] = DEFAULT_OPTIMIZERS,
    label: str = "model",
) -> RandomInterceptFit:
    """Fit ``y = X beta + u_group + e`` with each optimiser in turn until one converges.

    Parameters
    ----------
    y, X, groups
        Response, fixed-effects design matrix (with the intercept column) and the grouping
        (participant) of each row.
    reml
        REML (lme4's default) or ML.
    optimizers
        statsmodels ``MixedLM.fit`` methods tried in order; a later one is a fallback.
    label
        Name of the model in log messages.

    Returns
    -------
    RandomInterceptFit
        ``status`` OK with ``beta``, ``vcov`` (:func:`fixed_effects_vcov`), ``sigma2``,
        ``tau2``, ``loglik`` and the ``optimizer`` used; FAILED (with the attempts in ``notes``)
        when no optimiser gives finite, valid estimates. A between-person variance below
        1e-6 sigma^2 is noted as a singular fit, as lme4 reports it.

    In R: ``lme4::lmer(y ~ X - 1 + (1 | groups), REML = reml)``.
    """
    notes: list[str] = []
    for opt in optimizers:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = _fit_once(y, X, groups, reml, opt)
            except (np.linalg.LinAlgError, ValueError, RuntimeError, OverflowError) as exc:
                notes.append(f"optimiser {opt} failed ({type(exc).__name__}: {exc})")
                log.info("%s: optimiser %s raised %s; trying the next", label, opt, exc)
                continue
        beta, sigma2, tau2, valid = _valid(res)
        if not valid:
            notes.append(f"optimiser {opt} did not converge")
            log.info("%s: optimiser %s did not converge; trying the next", label, opt)
            continue
        try:
            vcov = fixed_effects_vcov(X, groups, sigma2, tau2)
        except np.linalg.LinAlgError as exc:
            notes.append(f"optimiser {opt}: fixed-effect information singular ({exc})")
            log.info("%s: optimiser %s gave a singular information matrix", label, opt)
            continue
        if not np.all(np.isfinite(np.diag(vcov))) or np.any(np.diag(vcov) < 0):
            notes.append(f"optimiser {opt}: invalid fixed-effect covariance")
            continue
        if tau2 < 1e-6 * sigma2:
            notes.append(
                "between-person variance estimated at (about) 0: a singular fit, as lme4 "
                "reports it; the estimates equal those of a model without the random intercept"
            )
        if opt != optimizers[0]:
            notes.append(f"fitted with fallback optimiser {opt}")
            log.info("%s: converged with fallback optimiser %s", label, opt)
        return RandomInterceptFit(
            status=Status.OK, beta=beta, vcov=vcov, sigma2=sigma2, tau2=tau2,
            loglik=float(res.llf), optimizer=opt, notes=notes,
            warnings=[str(w.message) for w in caught],
        )
    return RandomInterceptFit(status=Status.FAILED, notes=notes)
