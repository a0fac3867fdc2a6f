"""Zero-inflated Poisson / NB2 (logit zero part) and the rule for which count model to report.

Model (Lambert 1992; Zeileis, Kleiber & Jackman 2008): with probability ``pi`` a person is a
*structural* zero (would not visit whatever happened), else the count follows Poisson or NB2:
``P(y = 0) = pi + (1 - pi) f(0)``, ``P(y = k > 0) = (1 - pi) f(k)``; ``logit pi = z' gamma``,
``log mu = x' beta + offset``. Fitted by maximum likelihood (BFGS on the analytic score, NB2
theta on the log scale) from the Poisson fit and a logit of ``y == 0``; SEs from the inverse of
the Hessian of the log-likelihood (central differences of the analytic score), as R's
``pscl::zeroinfl(y ~ x | z, dist = "poisson" | "negbin")`` (which takes ``optim``'s numerical
Hessian; ``SE.logtheta`` is the SE of ``log theta``).

Which model the data need (:func:`choose_count_model`), without Vuong's test (its use for
non-nested zero-inflation is disputed: Wilson 2015, Ecol Evol 5:3247): rules in order,

1. NB2 rather than Poisson when the likelihood-ratio test of ``1 / theta = 0`` rejects at 5%:
   the statistic sits on the boundary, so ``p = P(chi2_1 > LR) / 2`` (Self & Liang 1987); this
   is R's ``pchisq(2 * (logLik(nb) - logLik(pois)), 1, lower.tail = FALSE) / 2``;
2. zero-inflated (ZIP, and after NB2 also ZINB; the lower AIC of the two) only when the
   chosen model under-predicts zeros, i.e. the observed zeros exceed
   its expected zeros ``sum P(y_i = 0)`` by at least ``ZERO_EXCESS`` (10%) and by at least 5
   people, **and** the zero-inflated model's AIC is lower by at least ``AIC_MARGIN`` (2). A
   zero-inflated model that does not converge or whose zero part runs to the boundary (every
   ``pi`` near 0) is not chosen.

Reference values: ``tests/fixtures/counts/make_reference.R`` (pscl 1.5.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from pipeline.stats.counts_glm import (
    CountFit,
    count_arrays,
    expected_zeros,
    fit_negbin,
    fit_poisson,
)
from pipeline.stats.distributions import chi2_sf, norm_ppf, norm_sf
from pipeline.status import Status

__all__ = [
    "ZERO_EXCESS",
    "AIC_MARGIN",
    "THETA_MAX_ZI",
    "ZeroInflatedFit",
    "fit_zeroinfl",
    "lr_test_nb",
    "CountModelChoice",
    "choose_count_model",
]

ZERO_EXCESS = 0.10
AIC_MARGIN = 2.0
THETA_MAX_ZI = 1e4  # a ZINB theta beyond this is a zero-inflated Poisson


@dataclass(frozen=True)
class ZeroInflatedFit:
    """A zero-inflated fit. ``count``/``zero``: estimates of the two parts (names in
    ``count_names``/``zero_names``), ``cov``: covariance of (count, zero, [log theta])."""

    family: str  # "zip" or "zinb"
    count_names: tuple[str, ...]
    zero_names: tuple[str, ...]
    n: int
    status: Status
    message: str = ""
    count: np.ndarray | None = None
    zero: np.ndarray | None = None
    theta: float | None = None
    se_logtheta: float | None = None
    cov: np.ndarray | None = None
    loglik: float = float("nan")
    aic: float = float("nan")
    expected_zeros: float = float("nan")
    notes: tuple[str, ...] = field(default_factory=tuple)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Both parts: count part as IRRs, zero part as odds ratios of a structural zero."""
        p, q = len(self.count_names), len(self.zero_names)
        est = np.concatenate([self.count, self.zero])
        se = np.sqrt(np.diag(self.cov))[: p + q]
        z = norm_ppf(0.5 + level / 2)
        return pd.DataFrame({
            "part": ["count"] * p + ["zero"] * q,
            "term": list(self.count_names) + list(self.zero_names),
            "estimate": est, "se": se, "p": 2 * norm_sf(np.abs(est / se)),
            "ratio": np.exp(est), "ratio_low": np.exp(est - z * se),
            "ratio_high": np.exp(est + z * se),
        })


def _parts(params, xa, za, off, nb):
    p, q = xa.shape[1], za.shape[1]
    beta, gamma = params[:p], params[p: p + q]
    eta = xa @ beta + off
    mu = np.exp(eta)
    lpi = -np.logaddexp(0.0, -(za @ gamma))  # log pi
    l1pi = -np.logaddexp(0.0, za @ gamma)  # log(1 - pi)
    th = float(np.exp(params[-1])) if nb else None
    return mu, lpi, l1pi, th


def _negll_grad(params, xa, za, off, y, nb):
    """Negative log-likelihood and its gradient (count, zero, [log theta])."""
    mu, lpi, l1pi, th = _parts(params, xa, za, off, nb)
    zero = y == 0
    if nb:
        lt = np.log(th) - np.log(th + mu)
        logf = (special.gammaln(th + y) - special.gammaln(th) - special.gammaln(y + 1)
                + th * lt + special.xlogy(y, mu) - y * np.log(th + mu))
        dlogf_eta = th * (y - mu) / (th + mu)
        dlogf_lth = th * (special.digamma(th + y) - special.digamma(th) + lt + 1
                          - (y + th) / (th + mu))
    else:
        logf = special.xlogy(y, mu) - mu - special.gammaln(y + 1)
        dlogf_eta = y - mu
    ll0 = np.logaddexp(lpi, l1pi + logf)  # log P(y = 0)
    ll = np.where(zero, ll0, l1pi + logf)
    share = np.where(zero, np.exp(l1pi + logf - ll0), 1.0)  # weight of the count part
    pi = np.exp(lpi)
    g_eta = share * dlogf_eta
    g_zero = np.where(zero, np.exp(lpi - ll0) - pi, -pi)  # d ll / d logit pi
    grad = [xa.T @ g_eta, za.T @ g_zero]
    if nb:
        grad.append(np.array([np.sum(share * dlogf_lth)]))
    return -float(ll.sum()), -np.concatenate(grad)


def _hessian(fun, x, h=1e-5):
    k = len(x)
    hess = np.empty((k, k))
    for j in range(k):
        step = h * max(1.0, abs(x[j]))
        e = np.zeros(k)
        e[j] = step
        hess[:, j] = (fun(x + e)[1] - fun(x - e)[1]) / (2 * step)
    return (hess + hess.T) / 2


def fit_zeroinfl(x, z, y, offset=None, dist: str = "negbin") -> ZeroInflatedFit:
    """Zero-inflated Poisson (``dist="poisson"``) or NB2 (``"negbin"``), logit zero part.

    ``x``: count-part design (with intercept), ``z``: zero-part design (with intercept; a
    DataFrame names the terms), ``y``: counts, ``offset``: log exposure (count part).
    R: ``pscl::zeroinfl(y ~ x + offset(log(t)) | z, dist = dist)``.
    """
    xa, ya, off, names = count_arrays(x, y, offset)
    za, _, _, znames = count_arrays(z, y, None)
    family, nb = ("zinb", True) if dist == "negbin" else ("zip", False)
    n_zero = int((ya == 0).sum())
    if n_zero == 0 or n_zero == len(ya):
        return ZeroInflatedFit(family, names, znames, len(ya), Status.NOT_ESTIMABLE,
                               "no zeros to model" if n_zero == 0 else "every count is 0")
    start_fit = fit_poisson(xa, ya, off)
    if not start_fit.ok:
        return ZeroInflatedFit(family, names, znames, len(ya), start_fit.status,
                               start_fit.message)
    zfit = np.linalg.lstsq(za, np.where(ya == 0, 0.5, -0.5), rcond=None)[0]
    start = np.concatenate([start_fit.coef, zfit] + ([np.zeros(1)] if nb else []))
    fun = lambda p: _negll_grad(p, xa, za, off, ya, nb)  # noqa: E731
    res = optimize.minimize(fun, start, jac=True, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 2000})
    # theta running to infinity first: along that flat ridge BFGS may stop with a gradient
    # just above the tolerance, which CPU to CPU (BLAS kernels) decides
    if nb and np.isfinite(res.fun) and res.x[-1] > np.log(THETA_MAX_ZI):
        return ZeroInflatedFit(family, names, znames, len(ya), Status.NOT_ESTIMABLE,
                               "no overdispersion is left once the structural zeros are "
                               "modelled (theta runs to infinity): the zero-inflated Poisson "
                               "is the model for these data")
    if not np.isfinite(res.fun) or np.max(np.abs(res.jac)) > 1e-4:
        return ZeroInflatedFit(family, names, znames, len(ya), Status.NOT_CONVERGED,
                               "the zero-inflated model did not converge")
    hess = _hessian(fun, res.x)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        cov = None
    if cov is None or not np.all(np.diag(cov) > 0):
        return ZeroInflatedFit(family, names, znames, len(ya), Status.NOT_ESTIMABLE,
                               "the zero-inflated model is not identified here (its "
                               "information matrix is singular): the zero part cannot be "
                               "told apart from the count part")
    p, q = xa.shape[1], za.shape[1]
    mu, lpi, l1pi, th = _parts(res.x, xa, za, off, nb)
    f0 = np.exp(th * (np.log(th) - np.log(th + mu))) if nb else np.exp(-mu)
    notes = ()
    if np.exp(lpi).max() < 1e-4:
        notes = ("the zero part runs to its boundary: no structural zeros",)
    return ZeroInflatedFit(
        family, names, znames, len(ya), Status.OK, count=res.x[:p], zero=res.x[p: p + q],
        theta=th, se_logtheta=float(np.sqrt(cov[-1, -1])) if nb else None, cov=cov,
        loglik=-float(res.fun), aic=2 * float(res.fun) + 2 * len(res.x),
        expected_zeros=float(np.sum(np.exp(lpi) + np.exp(l1pi) * f0)), notes=notes)


def lr_test_nb(pois: CountFit, nb: CountFit) -> tuple[float, float]:
    """LR statistic and boundary p-value for NB2 vs Poisson (``1 / theta = 0``)."""
    lr = max(0.0, 2 * (nb.loglik - pois.loglik))
    return lr, float(chi2_sf(lr, 1) / 2)


@dataclass(frozen=True)
class CountModelChoice:
    """The chosen model (``"poisson"``, ``"negbin"``, ``"zip"``, ``"zinb"``), every fit, and
    the numbers behind the choice (one row per candidate in ``table``) with the reason."""

    chosen: str
    reason: str
    fits: dict
    table: pd.DataFrame


def choose_count_model(x, y, offset=None, z=None, alpha: float = 0.05) -> CountModelChoice:
    """Apply the rules of the module docstring. ``z``: zero-part design (default: intercept)."""
    pois, nb = fit_poisson(x, y, offset), fit_negbin(x, y, offset)
    ya = np.asarray(y, dtype=float)
    observed = int((ya == 0).sum())
    fits: dict = {"poisson": pois, "negbin": nb}
    rows = []
    for key, fit in fits.items():
        rows.append({"model": key, "status": str(fit.status), "aic": fit.aic,
                     "observed_zeros": observed,
                     "expected_zeros": expected_zeros(fit) if fit.ok else float("nan")})
    if not pois.ok:
        return CountModelChoice("none", pois.message, fits, pd.DataFrame(rows))
    base, reason = "poisson", "no overdispersion beyond Poisson"
    if nb.ok:
        lr, p = lr_test_nb(pois, nb)
        if p < alpha:
            base = "negbin"
            reason = f"overdispersed (LR test of NB2 vs Poisson {lr:.1f}, p = {p:.2g})"
    chosen, fit = base, fits[base]
    exp0 = expected_zeros(fit)
    if observed >= exp0 * (1 + ZERO_EXCESS) and observed - exp0 >= 5:
        zdes = np.ones((len(ya), 1)) if z is None else z
        if isinstance(zdes, np.ndarray) and zdes.shape[1] == 1:
            zdes = pd.DataFrame({"(Intercept)": zdes[:, 0]})
        # NB2 base: both zero-inflated models (once the zeros are modelled the count part may
        # be Poisson); Poisson base: the zero-inflated Poisson only
        keys = ["zinb", "zip"] if base == "negbin" else ["zip"]
        for key in keys:
            zi = fit_zeroinfl(x, zdes, y, offset, dist="negbin" if key == "zinb" else "poisson")
            fits[key] = zi
            rows.append({"model": key, "status": str(zi.status), "aic": zi.aic,
                         "observed_zeros": observed, "expected_zeros": zi.expected_zeros})
        usable = [k for k in keys if fits[k].status is Status.OK and not fits[k].notes]
        best = min(usable, key=lambda k: fits[k].aic) if usable else None
        said = f"; {observed} zeros where the {base} model expects {exp0:.1f}"
        if best is not None and fits[best].aic <= fit.aic - AIC_MARGIN:
            chosen = best
            reason += (f"{said}, and the zero-inflated model's AIC is lower by "
                       f"{fit.aic - fits[best].aic:.1f}")
        else:
            reason += f"{said}, but no zero-inflated model fits better (AIC)"
    else:
        reason += f"; zeros as expected ({observed} observed, {exp0:.1f} expected)"
    return CountModelChoice(chosen, reason, fits, pd.DataFrame(rows))
