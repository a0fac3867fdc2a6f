"""Change in a count over waves: Poisson / NB2 GLMM with a random intercept per participant.

Model: ``log E(y_ij | b_i) = x_ij' beta + offset_ij + b_i``, ``b_i ~ N(0, sigma^2)``, with
``y_ij | b_i`` Poisson or NB2 (``Var = mu + mu^2 / theta``). The marginal likelihood of person
``i`` is approximated by Laplace's method at the conditional mode ``b_i^`` of
``h_i(b) = sum_j log f(y_ij | b) - b^2 / (2 sigma^2)``:

    log L_i ~ h_i(b_i^) - 1/2 log(sigma^2 H_i),   H_i = -h_i''(b_i^)

(Pinheiro & Bates 1995; lme4's PIRLS + Laplace, Bates et al. 2015, J Stat Softw 67(1)). The
modes of all participants are found together (a vectorised Newton iteration on per-person
sums: ``np.bincount``, no loop over people); the outer maximisation over ``(beta, log sigma,
[log theta])`` is BFGS on central-difference gradients. SEs: the inverse of the numerical
Hessian of ``-log L`` over all parameters, the beta block (lme4's default ``use.hessian``; the
beta block does not depend on how the variance parameters are scaled).

For Poisson the log link is canonical, so ``H_i`` is the same with observed or expected weights
and the fit is R's ``lme4::glmer(y ~ x + (1 | id), family = poisson)`` (``nAGQ = 1``). For NB2,
``H_i`` uses the observed second derivative, as ``glmmTMB(..., family = nbinom2)``
(lme4's ``glmer.nb`` uses expected weights in ``H_i``: on the reference data its intercept is
0.057 lower, its wave effects within 0.009 and its SEs up to 4% smaller than glmmTMB's).

Statuses, not exceptions, for what the data cannot support: no participant with two waves, a
wave with no observed counts, collinear terms, no convergence, and an NB2 theta beyond
``THETA_MAX_GLMM`` (no overdispersion: "use the Poisson model"). ``family="auto"``
(:func:`choose_glmm_family`) fits both and keeps NB2 only when the boundary LR test rejects.

:func:`wave_irr` is the change analysis for a count outcome: the entry wave as reference, one
dummy per follow-up wave (plus covariates), IRR of each follow-up vs entry with Wald CIs.

Reference values: ``tests/fixtures/counts/make_reference.R`` (lme4 1.1-31, glmmTMB 1.1.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from pipeline.errors import DataError
from pipeline.stats.counts_glm import count_arrays, fit_negbin, fit_poisson
from pipeline.stats.distributions import chi2_sf, norm_ppf, norm_sf
from pipeline.status import Status

__all__ = ["THETA_MAX_GLMM", "GlmmFit", "fit_count_glmm", "choose_glmm_family", "wave_design",
           "wave_irr"]

THETA_MAX_GLMM = 1e3  # an NB2 theta beyond this is Poisson for counts of the size modelled here


@dataclass(frozen=True)
class GlmmFit:
    """A random-intercept count GLMM. ``coef``/``cov``: fixed effects; ``sd``: SD of the random
    intercept (log scale); ``theta``: NB2 only; ``modes``: conditional modes ``b_i^`` in the
    order of ``groups``."""

    family: str  # "poisson" or "negbin"
    names: tuple[str, ...]
    n: int
    n_groups: int
    status: Status
    message: str = ""
    coef: np.ndarray | None = None
    cov: np.ndarray | None = None
    sd: float = float("nan")
    theta: float | None = None
    loglik: float = float("nan")
    aic: float = float("nan")
    groups: np.ndarray | None = None
    modes: np.ndarray | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Fixed effects with SE, z, p, IRR and Wald interval."""
        se = np.sqrt(np.diag(self.cov))
        z = norm_ppf(0.5 + level / 2)
        est = np.asarray(self.coef)
        return pd.DataFrame({
            "term": list(self.names), "estimate": est, "se": se,
            "p": 2 * norm_sf(np.abs(est / se)), "irr": np.exp(est),
            "irr_low": np.exp(est - z * se), "irr_high": np.exp(est + z * se)})


class _Laplace:
    """The Laplace log-likelihood of the model for one data set (modes warm-started)."""

    def __init__(self, xa, y, off, gidx, n_groups, nb):
        self.xa, self.y, self.off, self.g, self.m, self.nb = xa, y, off, gidx, n_groups, nb
        self.b = np.zeros(n_groups)
        self.const = special.gammaln(y + 1)

    def _sum(self, v):
        return np.bincount(self.g, weights=v, minlength=self.m)

    def _terms(self, eta, th):
        mu = np.exp(eta)
        y = self.y
        if th is None:
            return special.xlogy(y, mu) - mu - self.const, y - mu, mu
        lth = np.log(th + mu)
        logf = (special.gammaln(th + y) - special.gammaln(th) - self.const + th * np.log(th)
                + special.xlogy(y, mu) - (th + y) * lth)
        return logf, th * (y - mu) / (th + mu), th * mu * (th + y) / (th + mu) ** 2

    def loglik(self, params) -> float:
        p = self.xa.shape[1]
        beta, s2 = params[:p], float(np.exp(2 * params[p]))
        th = float(np.exp(params[p + 1])) if self.nb else None
        fixed = self.xa @ beta + self.off
        b = self.b.copy()
        for _ in range(100):  # Newton for every person's mode at once (h_i is concave)
            _, s, w = self._terms(fixed + b[self.g], th)
            grad = self._sum(s) - b / s2
            step = np.clip(grad / (self._sum(w) + 1 / s2), -3.0, 3.0)
            b += step
            if np.max(np.abs(step)) < 1e-11:
                break
        logf, _, w = self._terms(fixed + b[self.g], th)
        self.b = b
        hess = self._sum(w) + 1 / s2
        return float(np.sum(self._sum(logf) - b * b / (2 * s2) - 0.5 * np.log(s2 * hess)))


def _num_grad(f, x, h=1e-6):
    out = np.empty_like(x)
    for j in range(len(x)):
        e = np.zeros_like(x)
        e[j] = h
        out[j] = (f(x + e) - f(x - e)) / (2 * h)
    return out


def _num_hess(f, x, h=1e-4):
    k = len(x)
    hess = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h, h
            if i == j:
                val = (f(x + ei) - 2 * f0 + f(x - ei)) / h**2
            else:
                val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                       + f(x - ei - ej)) / (4 * h * h)
            hess[i, j] = hess[j, i] = val
    return hess


def fit_count_glmm(x, y, groups, offset=None, family: str = "poisson") -> GlmmFit:
    """Random-intercept Poisson (``family="poisson"``) or NB2 (``"negbin"``) GLMM by Laplace.

    ``x``: fixed-effects design with intercept (a DataFrame names the terms); ``y``: counts;
    ``groups``: participant of each row; ``offset``: log exposure. R:
    ``glmer(y ~ x + offset(log(t)) + (1 | id), family = poisson)`` or
    ``glmmTMB(y ~ x + offset(log(t)) + (1 | id), family = nbinom2)``.
    """
    xa, ya, off, names = count_arrays(x, y, offset)
    if family not in ("poisson", "negbin"):
        raise ValueError(f"family must be 'poisson' or 'negbin', not {family!r}")
    nb = family == "negbin"
    codes, uniq = pd.factorize(pd.Series(np.asarray(groups)), sort=True)
    if (codes < 0).any():
        raise DataError("the participant id of a count-model row is missing; pass ids")
    m = len(uniq)
    start_fit = (fit_negbin if nb else fit_poisson)(xa, ya, off)

    def refuse(status, msg):
        return GlmmFit(family, names, len(ya), m, status, msg)

    if not start_fit.ok:
        return refuse(start_fit.status, start_fit.message)
    if np.bincount(codes).max() < 2:
        return refuse(Status.NOT_ESTIMABLE, "no participant has two or more waves: a "
                      "person-level random intercept cannot be estimated")
    lap = _Laplace(xa, ya, off, codes, m, nb)
    start = np.concatenate([start_fit.coef, [np.log(0.5)]]
                           + ([[np.log(min(start_fit.theta, 1e3))]] if nb else []))

    def negll(par):
        return -lap.loglik(par)

    res = optimize.minimize(negll, start, jac=lambda p: _num_grad(negll, p), method="BFGS",
                            options={"gtol": 1e-7, "maxiter": 500})
    grad = _num_grad(negll, res.x)
    if nb and res.x[-1] > np.log(THETA_MAX_GLMM):
        return refuse(Status.NOT_ESTIMABLE, "no overdispersion beyond the Poisson mixed model "
                      "(theta runs to infinity): use the Poisson model")
    if not np.isfinite(res.fun) or np.max(np.abs(grad)) > 1e-3:
        return refuse(Status.NOT_CONVERGED, "the mixed count model did not converge")
    p = xa.shape[1]
    notes = ()
    if res.x[p] < np.log(1e-4):
        notes = ("the participant variance is at zero: people do not differ beyond chance; "
                 "the model reduces to the single-level one",)
    try:
        cov = np.linalg.inv(_num_hess(negll, res.x))[:p, :p]
    except np.linalg.LinAlgError:
        cov = None
    if cov is None or not np.all(np.diag(cov) > 0):
        return refuse(Status.NOT_ESTIMABLE, "the mixed count model's information matrix is "
                      "singular: the fixed effects are not identified by these data")
    lap.loglik(res.x)
    return GlmmFit(
        family, names, len(ya), m, Status.OK, coef=res.x[:p], cov=cov,
        sd=float(np.exp(res.x[p])), theta=float(np.exp(res.x[p + 1])) if nb else None,
        loglik=-float(res.fun), aic=2 * float(res.fun) + 2 * len(res.x),
        groups=np.asarray(uniq), modes=lap.b.copy(), notes=notes)


def choose_glmm_family(x, y, groups, offset=None, alpha: float = 0.05) -> tuple[GlmmFit, str]:
    """Poisson or NB2 GLMM, by the boundary likelihood-ratio test of ``1 / theta = 0``
    (``p = P(chi2_1 > LR) / 2``, as :func:`pipeline.stats.counts_zi.lr_test_nb`).

    Returns the chosen fit and the reason in words. NB2 is chosen only when it is estimable
    and the test rejects at ``alpha``; otherwise the Poisson fit (whatever its status).
    """
    pois = fit_count_glmm(x, y, groups, offset, "poisson")
    nb = fit_count_glmm(x, y, groups, offset, "negbin")
    if not pois.ok:
        return (nb, "negative binomial (the Poisson mixed model: " + pois.message + ")") \
            if nb.ok else (pois, pois.message)
    if not nb.ok:
        return pois, f"Poisson (the negative binomial mixed model: {nb.message})"
    lr = max(0.0, 2 * (nb.loglik - pois.loglik))
    p = float(chi2_sf(lr, 1) / 2)
    if p < alpha:
        return nb, f"negative binomial: overdispersed (LR test {lr:.1f}, p = {p:.2g})"
    return pois, f"Poisson: no overdispersion (LR test of NB2 {lr:.1f}, p = {p:.2g})"


def wave_design(data: pd.DataFrame, wave: str, waves: Sequence[str],
                covariates: Sequence[str] = ()) -> pd.DataFrame:
    """Intercept, one 0/1 column per follow-up wave (``waves[0]`` is the reference) and the
    numeric covariates, for the rows of ``data``."""
    unknown = sorted(set(data[wave].astype(str)) - {str(w) for w in waves})
    if unknown:
        raise DataError(f"column '{wave}' has waves {unknown} not among {list(waves)}")
    cols = {"(Intercept)": np.ones(len(data))}
    for w in waves[1:]:
        cols[f"wave{w}"] = (data[wave].astype(str) == str(w)).to_numpy(float)
    for c in covariates:
        cols[c] = pd.to_numeric(data[c], errors="raise").to_numpy(float)
    return pd.DataFrame(cols, index=data.index)


def wave_irr(data: pd.DataFrame, outcome: str, wave: str, id_col: str, waves: Sequence[str],
             covariates: Sequence[str] = (), family: str = "poisson",
             exposure: str | None = None, level: float = 0.95) -> tuple[GlmmFit, pd.DataFrame]:
    """IRR of each follow-up wave vs the entry wave from the random-intercept count GLMM.

    ``family``: "poisson", "negbin" or "auto" (:func:`choose_glmm_family`; the fit's
    ``family`` says which was used).

    Rows with a missing outcome, wave, id, covariate or exposure are left out (under the
    model's MAR assumption every observed wave of a person still counts). ``exposure``: the
    column with each row's recall period (its log is the offset). Returns the fit and one row per
    follow-up wave: ``wave, irr, irr_low, irr_high, p, n_rows`` (empty when not ok).
    """
    cols = [outcome, wave, id_col, *covariates] + ([exposure] if exposure else [])
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(f"the count change model needs columns {missing}, not in the data")
    d = data.loc[data[cols].notna().all(axis=1)]
    x = wave_design(d, wave, waves, covariates)
    empty = [str(w) for w in waves if not (d[wave].astype(str) == str(w)).any()]
    if empty:
        fit = GlmmFit(family, tuple(x.columns), len(d), int(d[id_col].nunique()),
                      Status.NOT_ESTIMABLE, f"no observed '{outcome}' at wave(s) {empty}: "
                      "the change to those waves cannot be estimated")
        return fit, pd.DataFrame(columns=["wave", "irr", "irr_low", "irr_high", "p", "n_rows"])
    off = None
    if exposure:
        e = pd.to_numeric(d[exposure], errors="coerce").to_numpy(float)
        if not (e > 0).all():
            raise DataError(f"column '{exposure}' (exposure) must be positive for every row")
        off = np.log(e)
    y, ids = d[outcome].to_numpy(), d[id_col].to_numpy()
    if family == "auto":
        fit, _ = choose_glmm_family(x, y, ids, off)
    else:
        fit = fit_count_glmm(x, y, ids, off, family)
    if not fit.ok:
        return fit, pd.DataFrame(columns=["wave", "irr", "irr_low", "irr_high", "p", "n_rows"])
    tab = fit.table(level).set_index("term")
    rows = [{"wave": w, **tab.loc[f"wave{w}", ["irr", "irr_low", "irr_high", "p"]].to_dict(),
             "n_rows": int((d[wave].astype(str) == str(w)).sum())} for w in waves[1:]]
    return fit, pd.DataFrame(rows)
