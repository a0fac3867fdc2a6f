"""Linear mixed model with a random intercept per participant (lme4's ``lmer``), fitted by REML.

Model::

    y_it = x_it' beta + u_i + e_it,    u_i ~ N(0, tau^2),  e_it ~ N(0, sigma^2)

fitted by REML (``reml=True``, lme4's default; Laird & Ware 1982) or ML. Under MAR the
likelihood uses every observed wave, so people who drop out still inform the earlier waves
(Little & Rubin 2019, ch. 6).

**Profiled, vectorised fit** (Bates et al. 2015, *J Stat Softw* 67(1), §3, for the one
random-intercept term). With ``theta = tau / sigma`` (lme4's parameter), ``lam = theta^2`` and
``V_i = sigma^2 (I + lam J)`` for a participant with ``n_i`` rows, Sherman-Morrison gives
``V_i^-1 = (I - c_i J) / sigma^2``, ``c_i = lam / (1 + n_i lam)``, so everything the likelihood
needs comes from per-participant sums computed once (sizes ``n_i``, column sums ``s_i`` of X,
sums ``t_i`` of y)::

    A(lam) = X'X - sum_i c_i s_i s_i'          (= X' V^-1 X sigma^2; lme4's R_X'R_X)
    beta   = A^-1 (X'y - sum_i c_i s_i t_i)
    r(lam) = sum_it e_it^2 - sum_i c_i (sum_t e_it)^2,   e = y - X beta   (lme4's pwrss)
    -2 logLik_REML = (N-p) (1 + log(2 pi r / (N-p))) + sum_i log(1 + n_i lam) + log|A|
    -2 logLik_ML   = N (1 + log(2 pi r / N)) + sum_i log(1 + n_i lam)

sigma^2 = r / (N-p) (REML) or r / N (ML), tau^2 = lam sigma^2. The criterion has one parameter
and an analytic gradient (``dr/dlam = -sum_i c_i' (sum_t e_it)^2``,
``dlog|A|/dlam = -sum_i c_i' s_i' A^-1 s_i``, ``c_i' = 1 / (1 + n_i lam)^2``), so each
evaluation costs O(participants x p^2) array operations and no loop over participants. As lme4
does, the boundary ``theta = 0`` is checked after the optimiser (a singular fit).

The covariance of the fixed effects is lme4's ``vcov()``: ``(X' V^-1 X)^-1 = sigma^2 A^-1`` at
the REML variance estimates (the inverse of the joint Hessian of fixed and variance parameters
would give SEs a few percent larger, so it is not used).

The optimiser names (``change.optimizers``: lbfgs, bfgs, powell, cg, ncg, newton, nm,
basinhopping; the names statsmodels ``MixedLM`` used) pick the scipy optimiser of the 1-D
profiled criterion in theta; the first that converges is used, the others are fallbacks.
Only random intercepts are supported (no random slopes are configured anywhere).

Model-based means and contrasts of the fit (emmeans) are in :mod:`pipeline.stats.emmeans`.

In R::

    fit <- lme4::lmer(y ~ x1 + x2 + (1 | pid), data = d, REML = TRUE)
    fixef(fit); vcov(fit); VarCorr(fit); logLik(fit)
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from pipeline.status import Status

__all__ = [
    "DEFAULT_OPTIMIZERS",
    "RandomInterceptFit",
    "fixed_effects_vcov",
    "fit_random_intercept",
]

log = logging.getLogger(__name__)

DEFAULT_OPTIMIZERS = ("lbfgs", "bfgs", "powell")

#: optimiser name (config) -> scipy.optimize.minimize method on theta (None: basinhopping).
_SCIPY_METHOD = {
    "lbfgs": "L-BFGS-B", "bfgs": "BFGS", "cg": "CG", "ncg": "Newton-CG", "newton": "Newton-CG",
    "powell": "Powell", "nm": "Nelder-Mead", "basinhopping": None,
}
_BOUNDED = ("L-BFGS-B", "Powell", "Nelder-Mead")  # theta >= 0 as a bound; others use |theta|
_GRADIENT = ("L-BFGS-B", "BFGS", "CG", "Newton-CG")
_GTOL = 1e-6  # relative gradient tolerance of the convergence check (see _minimise)


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


@dataclass(frozen=True)
class _GroupSums:
    """Per-participant sums of a random-intercept model, computed once (one pass per column)."""

    codes: np.ndarray  # participant index of each row
    n: np.ndarray  # (G,) rows per participant
    S: np.ndarray  # (G, p) column sums of X per participant
    XtX: np.ndarray


def _group_sums(X: np.ndarray, groups: np.ndarray) -> _GroupSums:
    codes, uniq = pd.factorize(np.asarray(groups))
    g = len(uniq)
    S = np.empty((g, X.shape[1]))
    for j in range(X.shape[1]):
        S[:, j] = np.bincount(codes, weights=X[:, j], minlength=g)
    return _GroupSums(codes, np.bincount(codes, minlength=g).astype(float), S, X.T @ X)


def fixed_effects_vcov(
    X: np.ndarray, groups: np.ndarray, sigma2: float, tau2: float
) -> np.ndarray:
    """Covariance of the fixed effects of a random-intercept model: ``(X' V^-1 X)^-1``.

    With ``V_i = sigma2 I + tau2 J``, ``V_i^-1 = (I - c_i J) / sigma2`` where
    ``c_i = tau2 / (sigma2 + n_i tau2)`` (Sherman-Morrison), so
    ``X'V^-1X = (X'X - sum_i c_i s_i s_i') / sigma2`` with ``s_i`` the column sums of group i.

    In R: ``vcov(lme4::lmer(...))``.
    """
    gs = _group_sums(np.asarray(X, dtype=float), groups)
    c = tau2 / (sigma2 + gs.n * tau2)
    info = (gs.XtX - (gs.S * c[:, None]).T @ gs.S) / sigma2
    return np.linalg.inv(info)


class _Profile:
    """The profiled -2 log-likelihood (REML or ML) of a random-intercept model in theta.

    ``y`` is replaced by its OLS residual ``y0`` (the GLS residual and r(lam) do not change, and
    the sums lose no digits to the mean); ``beta = b_ols + A^-1 (X'y0 - sum_i c_i s_i t_i)``.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, groups: np.ndarray, reml: bool):
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.gs = _group_sums(self.X, groups)
        self.b_ols = np.linalg.lstsq(self.X, self.y, rcond=None)[0]
        y0 = self.y - self.X @ self.b_ols
        self.T = np.bincount(self.gs.codes, weights=y0, minlength=self.gs.n.size)
        self.Xty0 = self.X.T @ y0
        self.yty0 = float(y0 @ y0)
        n_obs, p = self.X.shape
        self.reml = reml
        self.df = n_obs - p if reml else n_obs
        if self.df < 1:
            raise ValueError(f"{n_obs} observations for {p} fixed effects")

    def _solve(self, lam: float):
        gs = self.gs
        c = lam / (1.0 + gs.n * lam)
        A = gs.XtX - (gs.S * c[:, None]).T @ gs.S
        chol_inv = np.linalg.inv(np.linalg.cholesky(A))  # LinAlgError: X'V^-1X singular
        a_inv = chol_inv.T @ chol_inv
        delta = a_inv @ (self.Xty0 - gs.S.T @ (c * self.T))
        e_g = self.T - gs.S @ delta  # per-participant sums of the GLS residual
        r = self.yty0 - 2.0 * delta @ self.Xty0 + delta @ gs.XtX @ delta - c @ (e_g * e_g)
        if not r > 0:
            raise ValueError("zero residual sum of squares (the model fits the data exactly)")
        logdet_a = -2.0 * float(np.sum(np.log(np.diag(chol_inv))))
        return c, chol_inv, a_inv, logdet_a, delta, e_g, r

    def deviance(self, lam: float, grad: bool = False):
        """-2 log-likelihood at ``lam = theta^2`` and (optionally) its derivative in lam."""
        gs = self.gs
        c, chol_inv, _, logdet_a, _, e_g, r = self._solve(lam)
        dev = self.df * (1.0 + math.log(2.0 * math.pi * r / self.df))
        dev += float(np.sum(np.log1p(gs.n * lam))) + (logdet_a if self.reml else 0.0)
        if not grad:
            return dev
        dc = 1.0 / (1.0 + gs.n * lam) ** 2
        g = -self.df * float(dc @ (e_g * e_g)) / r + float(np.sum(gs.n / (1.0 + gs.n * lam)))
        if self.reml:  # d log|A| = -sum_i c_i' s_i' A^-1 s_i, with A^-1 = L^-T L^-1
            q = gs.S @ chol_inv.T
            g -= float(dc @ np.einsum("ij,ij->i", q, q))
        return dev, g

    def theta_fun(self, th: np.ndarray):
        """-2 log-likelihood and gradient in theta (even in theta: lam = theta^2)."""
        t = float(th[0])
        dev, g = self.deviance(t * t, grad=True)
        return dev, np.array([2.0 * t * g])

    def estimates(self, lam: float):
        """beta, sigma^2, tau^2, vcov(beta), logLik at ``lam``: r recomputed from residuals."""
        gs = self.gs
        c, _, a_inv, logdet_a, delta, _, _ = self._solve(lam)
        beta = self.b_ols + delta
        e = self.y - self.X @ beta
        e_g = np.bincount(gs.codes, weights=e, minlength=gs.n.size)
        r = float(e @ e - c @ (e_g * e_g))
        sigma2 = r / self.df
        dev = self.df * (1.0 + math.log(2.0 * math.pi * r / self.df))
        dev += float(np.sum(np.log1p(gs.n * lam))) + (logdet_a if self.reml else 0.0)
        return beta, sigma2, lam * sigma2, sigma2 * (a_inv + a_inv.T) / 2.0, -dev / 2.0


@dataclass(frozen=True)
class _Result:
    """One fit attempt, with the fields :func:`fit_random_intercept` reads."""

    converged: bool
    fe_params: np.ndarray
    scale: float
    cov_re: np.ndarray
    llf: float
    vcov: np.ndarray
    theta: float


_OPTIONS = {
    "L-BFGS-B": {"ftol": 1e-15, "gtol": 1e-10},
    "Powell": {"xtol": 1e-10, "ftol": 1e-13},
    "Nelder-Mead": {"xatol": 1e-10, "fatol": 1e-13},
}


def _minimise(prof: _Profile, method: str) -> tuple[float, bool]:
    """theta minimising the profiled criterion with optimiser ``method`` (from theta = 1, lme4's
    start), then the boundary theta = 0 checked as lme4 does; returns (theta, converged).

    Converged means a stationary point (|d(-2 logLik)/d theta| <= 1e-6 max(1, |-2 logLik|)) or
    the boundary theta = 0 with a non-negative derivative in lam; the optimiser's own flag is
    not used (scipy's line searches stop "abnormally" at full precision).
    """
    scipy_method = _SCIPY_METHOD[method]
    fun, x0 = prof.theta_fun, np.array([1.0])
    if scipy_method is None:
        res = optimize.basinhopping(fun, x0, niter=10, seed=0, minimizer_kwargs={
            "method": "L-BFGS-B", "jac": True, "bounds": [(0.0, None)]})
    else:
        jac = scipy_method in _GRADIENT
        res = optimize.minimize(
            fun if jac else (lambda th: fun(th)[0]), x0, jac=jac or None, method=scipy_method,
            bounds=[(0.0, None)] if scipy_method in _BOUNDED else None,
            options={"maxiter": 500, **_OPTIONS.get(scipy_method, {})})
    theta = abs(float(res.x[0]))
    dev, g = prof.deviance(theta * theta, grad=True)
    if prof.deviance(0.0) <= dev:  # a boundary optimum: a singular fit
        theta, (dev, g) = 0.0, prof.deviance(0.0, grad=True)
    tol = _GTOL * max(1.0, abs(dev))
    converged = math.isfinite(dev) and (
        (theta == 0.0 and g >= -tol) or abs(2.0 * theta * g) <= tol)
    return theta, bool(converged)


def _fit_once(y: np.ndarray, X: np.ndarray, groups: np.ndarray, reml: bool, method: str):
    """One profiled fit with optimiser ``method``; returns a :class:`_Result`."""
    if method not in _SCIPY_METHOD:
        raise ValueError(f"unknown optimiser '{method}'; use one of {list(_SCIPY_METHOD)}")
    prof = _Profile(y, X, groups, reml)
    theta, converged = _minimise(prof, method)
    beta, sigma2, tau2, vcov, llf = prof.estimates(theta * theta)
    return _Result(converged, beta, sigma2, np.array([[tau2]]), llf, vcov, theta)


def _valid(res) -> tuple[np.ndarray, float, float, bool]:
    """Fixed effects, sigma^2, tau^2 of a fit attempt and whether they are usable."""
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
        Optimisers of the profiled criterion tried in order (module docstring); a later one is
        a fallback.
    label
        Name of the model in log messages.

    Returns
    -------
    RandomInterceptFit
        ``status`` OK with ``beta``, ``vcov`` (``sigma2 (X'V^-1X)^-1``, as
        :func:`fixed_effects_vcov`), ``sigma2``, ``tau2``, ``loglik`` and the ``optimizer``
        used; FAILED (with the attempts in ``notes``) when no optimiser gives finite, valid
        estimates. A between-person variance below 1e-6 sigma^2 is noted as a singular fit, as
        lme4 reports it.

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
            vcov = getattr(res, "vcov", None)
            if vcov is None:
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
