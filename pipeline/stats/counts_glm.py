"""Count regression with a log link: Poisson and negative binomial (NB2), with IRRs.

Model: ``log E(y | x) = x' beta + offset`` (the offset is the log of the exposure, e.g. the
recall period in months, so that ``exp(beta)`` is a ratio of *rates*). Two families:

* Poisson, ``Var(y) = mu``; fitted by iteratively reweighted least squares (IRLS), weights
  ``mu``. R: ``glm(y ~ x + offset(log(t)), family = poisson)``.
* Negative binomial NB2, ``Var(y) = mu + mu^2 / theta`` (theta is MASS's ``theta``;
  statsmodels' NB2 ``alpha`` is ``1 / theta``); fitted as ``MASS::glm.nb`` does (Venables &
  Ripley 2002, sec. 7.4): alternate IRLS for beta at fixed theta (weights
  ``mu / (1 + mu / theta)``) with the ML estimate of theta at fixed mu (Newton on the score,
  ``MASS::theta.ml``), until both settle.

Standard errors: model-based, ``(X' W X)^-1`` at the estimates (R ``vcov``; for NB2 with theta
treated as known, as ``summary.negbin``: beta and theta are orthogonal in the expected
information), or robust sandwich HC0, ``B^-1 M B^-1`` with ``M = sum_i u_i u_i'`` and
``u_i = x_i (y_i - mu_i) w_i / mu_i`` (R ``sandwich::vcovHC(fit, type = "HC0")``). theta's SE is
``1 / sqrt(observed information)`` (``MASS::theta.ml``'s ``SE``). Incidence-rate ratios
``exp(beta)`` with Wald intervals ``exp(beta +- z se)`` (R ``exp(confint.default(fit))``).

Why not statsmodels: its ``NegativeBinomial(loglike_method="nb2")`` (``alpha = 1 / theta``)
gets the same estimates, but its SEs come from the joint Hessian in (beta, alpha), up to 0.8%
off R's on the reference data, and its HC0 up to 1.4% off ``sandwich``; ``GLM`` with a fixed
``alpha`` matches R's model-based SEs but not its HC0 either. IRLS here is a few lines.

Deviance, AIC and log-likelihood as R reports them: Poisson ``AIC = -2 logLik + 2p``; NB2
``AIC = -2 logLik + 2(p + 1)`` (theta counts). The NB2 null deviance is that of the
intercept-only model (with the offset) at the final theta, as ``glm.nb``.

A model the data cannot support is not an exception: the fit carries a
:class:`pipeline.status.Status` and a plain ``message`` (every count zero; fewer rows than
parameters; collinear columns; no convergence). Counts that are not non-negative whole numbers
are an input error (:class:`pipeline.errors.DataError`).

Reference values: ``tests/fixtures/counts/make_reference.R`` (MASS 7.3-58, sandwich).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from pipeline.errors import DataError
from pipeline.stats.distributions import norm_ppf, norm_sf
from pipeline.status import Status

__all__ = [
    "CountFit",
    "check_counts",
    "count_arrays",
    "fit_poisson",
    "fit_negbin",
    "irr_table",
    "expected_zeros",
    "nb_loglik",
    "theta_ml",
]

THETA_MAX = 1e6  # above this NB2 is Poisson for every practical purpose


@dataclass(frozen=True)
class CountFit:
    """One count regression. ``coef``/``cov`` are None unless ``status`` is ok.

    ``family``: "poisson" or "negbin"; ``names``: the design columns; ``cov``: model-based
    covariance of ``coef``; ``cov_hc0``: sandwich HC0; ``theta``/``se_theta``: NB2 only;
    ``mu``: fitted means; ``notes``: things to read with care (e.g. theta at its bound).
    """

    family: str
    names: tuple[str, ...]
    n: int
    status: Status
    message: str = ""
    coef: np.ndarray | None = None
    cov: np.ndarray | None = None
    cov_hc0: np.ndarray | None = None
    theta: float | None = None
    se_theta: float | None = None
    loglik: float = float("nan")
    deviance: float = float("nan")
    null_deviance: float = float("nan")
    aic: float = float("nan")
    df_residual: int = 0
    iterations: int = 0
    mu: np.ndarray | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def se(self, robust: bool = False) -> np.ndarray:
        """Standard errors: model-based, or sandwich HC0 when ``robust``."""
        cov = self.cov_hc0 if robust else self.cov
        if cov is None:
            raise ValueError(f"no estimates: the {self.family} model is {self.status}")
        return np.sqrt(np.diag(cov))


def check_counts(y: np.ndarray, what: str = "the count outcome") -> np.ndarray:
    """``y`` as floats, refused unless every value is a finite non-negative whole number."""
    arr = np.asarray(y, dtype=float)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr))
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise DataError(
            f"{what} must be whole numbers 0, 1, 2, ... (a count of visits); "
            f"{int(bad.sum())} value(s) are not, at positions {rows} of the model data. "
            "Correct or remove them before fitting a count model."
        )
    return arr


def count_arrays(x, y, offset) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Design, counts, offset (zeros when None) as float arrays, and the term names.

    Counts are checked by :func:`check_counts`; missing or infinite predictors or offsets are a
    :class:`DataError` (the caller passes complete cases).
    """
    names = tuple(str(c) for c in x.columns) if isinstance(x, pd.DataFrame) else ()
    xa = np.asarray(x, dtype=float)
    if xa.ndim == 1:
        xa = xa[:, None]
    if not names:
        names = tuple(f"x{j}" for j in range(xa.shape[1]))
    ya = check_counts(y)
    off = np.zeros(len(ya)) if offset is None else np.asarray(offset, dtype=float)
    if xa.shape[0] != len(ya) or off.shape != ya.shape:
        raise ValueError("x, y and offset must have the same number of rows")
    if not (np.isfinite(xa).all() and np.isfinite(off).all()):
        raise DataError("the count model's predictors or offset have missing or infinite "
                        "values; pass complete cases only")
    return xa, ya, off, names


def _refusal(family, names, xa, ya) -> tuple[Status, str] | None:
    n, p = xa.shape
    if n <= p:
        return Status.NOT_ESTIMABLE, (f"{n} rows for {p} parameters: a count model needs more "
                                      "rows than parameters")
    if not ya.any():
        return Status.NOT_ESTIMABLE, "every count is 0: there is no rate to model"
    if np.linalg.matrix_rank(xa) < p:
        return Status.NOT_ESTIMABLE, ("the predictors are collinear (one is a combination of "
                                      "others); drop one")
    return None


def _poisson_ll(y, mu) -> float:
    return float(np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))


def nb_loglik(y: np.ndarray, mu: np.ndarray, theta: float) -> float:
    """NB2 log-likelihood ``sum log f(y; mu, theta)`` (``MASS::glm.nb``'s ``loglik``)."""
    return float(np.sum(
        special.gammaln(theta + y) - special.gammaln(theta) - special.gammaln(y + 1)
        + theta * np.log(theta) + special.xlogy(y, mu) - (theta + y) * np.log(theta + mu)))


def _deviance(y, mu, theta) -> float:
    if theta is None:
        return float(2 * np.sum(special.xlogy(y, y / mu) - (y - mu)))
    return float(2 * np.sum(special.xlogy(y, y / mu)
                            - (y + theta) * np.log((y + theta) / (mu + theta))))


def _irls(xa, y, off, theta, eta0=None, tol=1e-12, maxit=100):
    """IRLS for the log link at fixed theta (None = Poisson). Returns beta, eta, it, ok."""
    eta = np.log(y + 0.1) if eta0 is None else eta0
    dev_old, beta = np.inf, None
    for it in range(1, maxit + 1):
        mu = np.exp(eta)
        w = mu if theta is None else mu / (1 + mu / theta)
        z = eta - off + (y - mu) / mu
        xw = xa * w[:, None]
        beta = np.linalg.solve(xw.T @ xa, xw.T @ z)
        eta = xa @ beta + off
        dev = _deviance(y, np.exp(eta), theta)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            return beta, eta, it, True
        dev_old = dev
    return beta, eta, maxit, False


def _theta_info(y, mu, th) -> float:
    return float(np.sum(-special.polygamma(1, th + y) + special.polygamma(1, th) - 1 / th
                        + 2 / (mu + th) - (y + th) / (mu + th) ** 2))


def theta_ml(y: np.ndarray, mu: np.ndarray, maxit: int = 100) -> tuple[float, float, bool]:
    """ML estimate of NB2 theta at fixed means, its SE and whether it is interior.

    Newton on ``log theta`` from the moment start ``n / sum((y / mu - 1)^2)`` (as
    ``MASS::theta.ml``); SE ``1 / sqrt(i)`` with ``i`` the observed information in theta. When the
    score stays positive as theta grows (no overdispersion), theta is ``THETA_MAX`` and the third
    value is False.
    """
    def score(lt):
        th = np.exp(lt)
        return float(np.sum(special.digamma(th + y) - special.digamma(th) + np.log(th) + 1
                            - np.log(th + mu) - (y + th) / (mu + th)))

    start = len(y) / max(float(np.sum((y / mu - 1) ** 2)), 1e-8)
    lt = float(np.log(np.clip(start, 1e-4, THETA_MAX)))
    for _ in range(maxit):
        th = np.exp(lt)
        s = score(lt)
        d2 = -_theta_info(y, mu, th) * th * th + s * th  # d score / d log theta
        if d2 >= 0:  # not concave here: step towards the root by the sign of the score
            step = 1.0 if s > 0 else -1.0
        else:
            step = float(np.clip(-s * th / d2, -2.0, 2.0))
        lt += step
        if lt > np.log(THETA_MAX):
            return THETA_MAX, float("nan"), False
        if abs(step) < 1e-12:
            break
    th = float(np.exp(lt))
    info = _theta_info(y, mu, th)
    return th, float(1 / np.sqrt(info)) if info > 0 else float("nan"), True


def _covs(xa, y, mu, theta):
    w = mu if theta is None else mu / (1 + mu / theta)
    bread = np.linalg.inv((xa * w[:, None]).T @ xa)
    u = xa * ((y - mu) * w / mu)[:, None]
    return bread, bread @ (u.T @ u) @ bread


def fit_poisson(x, y, offset=None) -> CountFit:
    """Poisson log-linear regression (R ``glm(family = poisson)``); see the module docstring.

    ``x``: the design matrix including the intercept column (a DataFrame names the terms);
    ``y``: counts; ``offset``: log exposure per row, or None.
    """
    xa, ya, off, names = count_arrays(x, y, offset)
    refused = _refusal("poisson", names, xa, ya)
    if refused:
        return CountFit("poisson", names, len(ya), refused[0], refused[1])
    beta, eta, it, ok = _irls(xa, ya, off, None)
    if not ok:
        return CountFit("poisson", names, len(ya), Status.NOT_CONVERGED,
                        f"the Poisson model did not converge in {it} iterations")
    mu = np.exp(eta)
    cov, hc0 = _covs(xa, ya, mu, None)
    ll = _poisson_ll(ya, mu)
    null_mu = np.exp(off) * ya.sum() / np.exp(off).sum()
    return CountFit(
        "poisson", names, len(ya), Status.OK, coef=beta, cov=cov, cov_hc0=hc0, loglik=ll,
        deviance=_deviance(ya, mu, None), null_deviance=_deviance(ya, null_mu, None),
        aic=-2 * ll + 2 * xa.shape[1], df_residual=len(ya) - xa.shape[1], iterations=it, mu=mu)


def fit_negbin(x, y, offset=None, maxit: int = 50, tol: float = 1e-10) -> CountFit:
    """NB2 regression with ML theta (R ``MASS::glm.nb``); see the module docstring.

    When theta runs to its bound (no overdispersion beyond Poisson), the fit is kept at
    ``THETA_MAX`` with a note: it then equals the Poisson fit, and ``compare_poisson_nb``
    (:mod:`pipeline.stats.counts_zi`) says the Poisson model suffices.
    """
    xa, ya, off, names = count_arrays(x, y, offset)
    refused = _refusal("negbin", names, xa, ya)
    if refused:
        return CountFit("negbin", names, len(ya), refused[0], refused[1])
    beta, eta, it_total, ok = _irls(xa, ya, off, None)
    th, _, interior = theta_ml(ya, np.exp(eta))
    ll_old, converged = -np.inf, False
    for _ in range(maxit):
        beta, eta, it, ok = _irls(xa, ya, off, th, eta0=eta)
        it_total += it
        th, se_th, interior = theta_ml(ya, np.exp(eta))
        ll = nb_loglik(ya, np.exp(eta), th)
        if ok and abs(ll - ll_old) < tol * (abs(ll) + 1):
            converged = True
            break
        ll_old = ll
    if not converged:
        return CountFit("negbin", names, len(ya), Status.NOT_CONVERGED,
                        "the negative binomial model did not converge (beta and theta kept "
                        "moving); try the Poisson model with robust standard errors")
    mu = np.exp(eta)
    cov, hc0 = _covs(xa, ya, mu, th)
    notes = () if interior else (
        "theta ran to its upper bound: no overdispersion beyond Poisson; the Poisson model "
        "gives the same estimates",)
    null_beta, null_eta, _, _ = _irls(np.ones((len(ya), 1)), ya, off, th)
    p = xa.shape[1]
    return CountFit(
        "negbin", names, len(ya), Status.OK, coef=beta, cov=cov, cov_hc0=hc0, theta=th,
        se_theta=se_th, loglik=ll, deviance=_deviance(ya, mu, th),
        null_deviance=_deviance(ya, np.exp(null_eta), th), aic=-2 * ll + 2 * (p + 1),
        df_residual=len(ya) - p, iterations=it_total, mu=mu, notes=notes)


def irr_table(fit: CountFit, robust: bool = False, level: float = 0.95) -> pd.DataFrame:
    """One row per term: estimate (log rate ratio), SE, z, p, IRR and its Wald interval.

    R: ``cbind(exp(coef(fit)), exp(confint.default(fit, level = level)))`` with
    ``vcov(fit)``, or with ``sandwich::vcovHC(fit, type = "HC0")`` when ``robust``.
    """
    se = fit.se(robust)
    z = norm_ppf(0.5 + level / 2)
    est = np.asarray(fit.coef)
    zval = est / se
    return pd.DataFrame({
        "term": list(fit.names), "estimate": est, "se": se, "z": zval,
        "p": 2 * norm_sf(np.abs(zval)), "irr": np.exp(est),
        "irr_low": np.exp(est - z * se), "irr_high": np.exp(est + z * se),
        "se_type": "HC0" if robust else "model",
    })


def expected_zeros(fit: CountFit) -> float:
    """Zeros the fitted model expects: ``sum exp(-mu)`` (Poisson) or
    ``sum (theta / (theta + mu))^theta`` (NB2); compare with the observed number of zeros."""
    mu = np.asarray(fit.mu)
    if fit.family == "poisson":
        return float(np.exp(-mu).sum())
    th = float(fit.theta)
    return float(np.exp(th * (np.log(th) - np.log(th + mu))).sum())
