"""Logistic regression that says when it cannot be trusted: events rule, separation, Firth.

Model: ``logit P(y = 1 | x) = x' beta`` fitted by maximum likelihood (IRLS; statsmodels GLM),
odds ratios ``exp(beta)`` with Wald 95% intervals ``exp(beta +- 1.96 se)``.

Checked before fitting, in this order (:func:`fit_logistic`):

1. no contrast: every outcome 0 or every outcome 1;
2. too few events: the rarer outcome has fewer than ``min_events`` cases (default 10; Peduzzi
   et al. 1996, J Clin Epidemiol 49:1373-1379): no model at all, not even Firth's;
3. too few rows for the parameters, or collinear columns;
4. complete or quasi-complete separation (Albert & Anderson 1984), detected by the linear
   program of Konis (2007; R ``detectseparation``): ML odds ratios are infinite, so either Firth's
   (1993) penalised likelihood (Heinze & Schemper 2002) or "not estimable".

A fit that does not converge is "failed". The result (:class:`LogisticFit`) keeps the design
matrix, so that what depends on the fitted model (e.g. inverse-probability weights,
``pipeline.stats.ipw``) uses this one fit and never refits it.

Reference values: ``tests/fixtures/attrition/attrition_reference.R`` (R ``glm(family =
binomial)`` + ``confint.default``; ``brglm2::brglmFit(type = "AS_mean")`` for Firth).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from pipeline.errors import DataError
from pipeline.stats.contingency import level_order
from pipeline.status import Status

__all__ = [
    "MIN_EVENTS",
    "LogisticFit",
    "design_matrix",
    "separation_direction",
    "firth_logit",
    "fit_logistic",
    "coefficient_table",
]

MIN_EVENTS = 10


@dataclass(frozen=True)
class LogisticFit:
    """One logistic regression and why it is, or is not, estimable.

    ``status``: :class:`pipeline.status.Status`; ``method``: "logit" or "firth"; ``problem``: ""
    when estimated, else one of "no_contrast", "too_few_events", "too_few_rows", "collinear",
    "separation" (Firth not allowed), "not_converged". ``x`` is the design matrix (complete
    cases, index = rows of the data), ``y`` the 0/1 outcome of those rows. ``beta`` and ``cov``
    are None unless ``status`` is ok. ``separating``: design columns (intercept excluded) along
    the separating direction; ``notes``: columns left out of the design; ``low_epv``: fewer than
    10 of the rarer outcome per predictor (fitted, but read with care).
    """

    status: Status
    method: str
    x: pd.DataFrame
    y: np.ndarray
    min_events: int
    problem: str = ""
    beta: np.ndarray | None = None
    cov: np.ndarray | None = None
    separating: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    low_epv: bool = False

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def k(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_events(self) -> int:
        """Number of rows with ``y == 1``."""
        return int(self.y.sum())

    @property
    def rarer(self) -> int:
        """Size of the rarer outcome group."""
        return min(self.n_events, self.n - self.n_events)

    def fitted(self) -> np.ndarray:
        """Fitted probabilities ``P(y = 1 | x)`` for the rows of ``x``."""
        if self.beta is None:
            raise ValueError("the logistic model was not estimated")
        return stats.logistic.cdf(self.x.to_numpy(float) @ self.beta)


def design_matrix(
    data: pd.DataFrame, predictors: Sequence[str], categorical: Sequence[str] = (),
    *, what: str = "logistic model",
) -> tuple[pd.DataFrame, list[str]]:
    """Intercept + predictors (categorical -> indicator columns, first level = reference).

    Rows with any missing predictor are removed (complete cases). Predictors missing for
    everyone, and columns constant among the complete cases, are dropped; ``notes`` says which.
    A predictor absent from ``data`` is a DataError (``what`` names the model in the message).

    In R: ``model.matrix(~ ., data = na.omit(data[predictors]))`` (treatment contrasts).
    """
    notes: list[str] = []
    keep = []
    for v in predictors:
        if v not in data.columns:
            raise DataError(f"{what}: predictor '{v}' is not in the wide data.")
        if data[v].isna().all():
            notes.append(f"'{v}' is missing for everyone and was left out")
        else:
            keep.append(v)
    cc = data[keep].dropna()
    parts = [pd.Series(1.0, index=cc.index, name="Intercept")]
    for v in keep:
        if v in categorical:
            for lv in level_order(data[v])[1:]:
                parts.append((cc[v] == lv).astype(float).rename(f"{v}[{lv}]"))
        else:
            parts.append(cc[v].astype(float).rename(v))
    x = pd.concat(parts, axis=1)
    const = [c for c in x.columns[1:] if x[c].nunique() < 2]
    if const:
        notes.append(f"{', '.join(repr(c) for c in const)} did not vary and was left out")
        x = x.drop(columns=const)
    return x, notes


def separation_direction(x: np.ndarray, y: np.ndarray, tol: float = 1e-7) -> np.ndarray | None:
    """A direction of complete or quasi-complete separation, or None (Konis 2007).

    Solves the linear program: maximise ``sum_i s_i' b`` subject to ``s_i' b >= 0`` for every
    row and ``-1 <= b <= 1``, where ``s_i = (2 y_i - 1) x_i``. A positive optimum means some
    ``b`` puts every row on its own side (ML estimates are infinite along ``b``).

    In R: ``detectseparation::detect_separation`` (the same LP).
    """
    s = (2 * y - 1)[:, None] * x
    res = optimize.linprog(-s.sum(axis=0), A_ub=-s, b_ub=np.zeros(len(y)),
                           bounds=[(-1, 1)] * x.shape[1], method="highs")
    if res.status != 0 or -res.fun <= tol * max(1.0, np.abs(s).sum() / len(y)):
        return None
    return res.x


def firth_logit(x: np.ndarray, y: np.ndarray, tol: float = 1e-10, max_iter: int = 200):
    """Firth's (1993) bias-reduced logistic regression (Heinze & Schemper 2002).

    Maximises the penalised log-likelihood ``l(beta) + 0.5 log|X'WX|`` (Jeffreys prior) by
    Newton steps on the modified score ``X'(y - p + h (1/2 - p))`` (``h``: hat values of
    ``W^(1/2) X (X'WX)^-1 X' W^(1/2)``), with step halving. Returns ``(beta, cov, converged)``;
    ``cov`` is the inverse Fisher information at ``beta`` (Wald SEs).

    In R: ``brglm2::brglmFit`` with ``type = "AS_mean"`` (or ``logistf`` with Wald intervals).
    """
    beta = np.zeros(x.shape[1])

    def pen_loglik(b):
        eta = x @ b
        w = stats.logistic.pdf(eta)
        _, logdet = np.linalg.slogdet(x.T @ (w[:, None] * x))
        return float(np.sum(y * eta - np.logaddexp(0, eta)) + 0.5 * logdet)

    current = pen_loglik(beta)
    for _ in range(max_iter):
        p = stats.logistic.cdf(x @ beta)
        w = p * (1 - p)
        info = x.T @ (w[:, None] * x)
        inv = np.linalg.inv(info)
        h = w * np.einsum("ij,jk,ik->i", x, inv, x)
        step = inv @ (x.T @ (y - p + h * (0.5 - p)))
        t = 1.0
        while t > 1e-8:
            cand = beta + t * step
            val = pen_loglik(cand)
            if val >= current - 1e-12:
                break
            t /= 2
        beta, current = cand, val
        if np.max(np.abs(t * step)) < tol:
            p = stats.logistic.cdf(x @ beta)
            info = x.T @ ((p * (1 - p))[:, None] * x)
            return beta, np.linalg.inv(info), True
    return beta, np.linalg.inv(info), False


def _unestimable(x: pd.DataFrame, y: np.ndarray, min_events: int) -> str:
    """The first problem of checks 1-3 (module docstring), or ""."""
    n, k = x.shape
    n_events = int(y.sum())
    if n_events == 0 or n_events == n:
        return "no_contrast"
    if min(n_events, n - n_events) < min_events:
        return "too_few_events"
    if n <= k:
        return "too_few_rows"
    if np.linalg.matrix_rank(x.to_numpy()) < k:
        return "collinear"
    return ""


def fit_logistic(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    firth_on_separation: bool,
    min_events: int = MIN_EVENTS,
    notes: Sequence[str] = (),
) -> LogisticFit:
    """Fit ``logit P(y = 1) = x' beta`` after the checks in the module docstring.

    ``x``: design matrix with an intercept column (:func:`design_matrix`); ``y``: 0/1 outcome
    aligned with its rows; ``notes``: from :func:`design_matrix`, kept on the result. Under
    separation, Firth's fit when ``firth_on_separation`` (method "firth"), else status
    "not_estimable" with problem "separation".

    In R: ``glm(y ~ ., family = binomial)``; under separation ``brglm2::brglmFit``.
    """
    y = np.asarray(y, dtype=float)
    base = {"x": x, "y": y, "min_events": min_events, "notes": tuple(notes)}
    problem = _unestimable(x, y, min_events)
    if problem:
        return LogisticFit(Status.NOT_ESTIMABLE, "logit", problem=problem, **base)
    xm = x.to_numpy()
    direction = separation_direction(xm, y)
    if direction is not None:
        involved = tuple(c for c, d in zip(x.columns, direction)
                         if abs(d) > 1e-6 and c != "Intercept")
        if not firth_on_separation:
            return LogisticFit(Status.NOT_ESTIMABLE, "logit", problem="separation",
                               separating=involved, **base)
        beta, cov, ok = firth_logit(xm, y)
        if not ok:
            return LogisticFit(Status.FAILED, "firth", problem="not_converged",
                               separating=involved, **base)
        return LogisticFit(Status.OK, "firth", beta=beta, cov=cov, separating=involved, **base)
    fit = GLM(y, xm, family=families.Binomial()).fit(tol=1e-12, maxiter=100)
    if not fit.converged:
        return LogisticFit(Status.FAILED, "logit", problem="not_converged", **base)
    k = x.shape[1]
    events = min(int(y.sum()), len(y) - int(y.sum()))
    low_epv = events / (k - 1 if k > 1 else 1) < 10
    return LogisticFit(Status.OK, "logit", beta=np.asarray(fit.params),
                       cov=np.asarray(fit.cov_params()), low_epv=low_epv, **base)


def coefficient_table(fit: LogisticFit) -> pd.DataFrame:
    """Coefficients of an estimated fit: ``rhs, est, se, z, pvalue, odds_ratio, ci_lower,
    ci_upper`` (Wald: ``z = est / se``, ``p = 2 (1 - Phi(|z|))``, 95% CI
    ``exp(est -+ 1.959964 se)``).

    In R: ``cbind(coef(summary(m)), exp(cbind(coef(m), confint.default(m))))``.
    """
    if fit.beta is None or fit.cov is None:
        raise ValueError("coefficient_table: the model was not estimated")
    beta = np.asarray(fit.beta)
    se = np.sqrt(np.diag(fit.cov))
    z = beta / se
    zc = stats.norm.ppf(0.975)
    return pd.DataFrame({
        "rhs": list(fit.x.columns), "est": beta, "se": se, "z": z,
        "pvalue": 2 * stats.norm.sf(np.abs(z)), "odds_ratio": np.exp(beta),
        "ci_lower": np.exp(beta - zc * se), "ci_upper": np.exp(beta + zc * se),
    })
