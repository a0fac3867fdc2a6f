"""Random-effects meta-analysis: REML between-study variance, Knapp-Hartung inference.

Used to pool one estimate (a mean change) across the schemes of a programme, with the scheme
as the random effect: study ``i`` reports ``y_i`` with sampling variance ``v_i`` (its SE
squared), and ``y_i ~ N(mu, v_i + tau^2)``.

* **tau^2** by restricted maximum likelihood (REML; Viechtbauer 2005, *J. Educ. Behav. Stat.*
  30:261-293), truncated at 0. Fisher scoring as in metafor (``rma.uni``, ``method = "REML"``)
  from the Hedges (HE) estimate, with step halving, to a relative change below 1e-12; the REML
  score ``1/2 [sum w_i^2 (y_i - mu)^2 - tr P]`` is then zero (or negative at tau^2 = 0).
  ``w_i = 1 / (v_i + tau^2)``, ``P = W - W 1 1' W / sum w``.
* **mu** the weighted mean ``sum w_i y_i / sum w_i``.
* **Knapp-Hartung** (Knapp & Hartung 2003, *Stat. Med.* 22:2693-2710; Sidik & Jonkman 2002):
  ``se = sqrt(q / sum w)`` with ``q = sum w_i (y_i - mu)^2 / (k - 1)``, not truncated at 1
  (metafor's default), and a t distribution on ``k - 1`` df for the test and the interval.
* **Heterogeneity**: Cochran's ``Q = sum v_i^-1 (y_i - mu_FE)^2`` on ``k - 1`` df (chi-square
  p-value); ``I^2 = 100 tau^2 / (tau^2 + s^2)`` and ``H^2 = (tau^2 + s^2) / s^2`` with the
  typical within-study variance ``s^2 = (k - 1) sum v^-1 / ((sum v^-1)^2 - sum v^-2)``
  (Higgins & Thompson 2002), as metafor reports them for REML.
* **Prediction interval** for the effect in a new scheme: ``mu +/- t_{k-1} sqrt(tau^2 +
  se^2)`` (Higgins, Thompson & Spiegelhalter 2009; metafor's ``predict`` under ``test =
  "knha"``).
* ``se_tau2``: from the REML information ``1 / (1/2 sum P_ij^2)``.

R equivalent (``tests/fixtures/meta_analysis/meta_reference.R``)::

    f <- metafor::rma(yi = y, vi = v, method = "REML", test = "knha")
    predict(f)   # pi.lb, pi.ub
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from pipeline.errors import DataError
from pipeline.stats.distributions import chi2_sf, t_ppf, t_sf

__all__ = ["MetaResult", "random_effects", "reml_tau2"]

_TOL = 1e-12
_MAXITER = 1000


@dataclass(frozen=True)
class MetaResult:
    """One random-effects meta-analysis (see the module notes for every quantity)."""

    k: int
    mu: float
    se: float
    tval: float
    df: int
    pvalue: float
    ci_lower: float
    ci_upper: float
    tau2: float
    se_tau2: float
    I2: float
    H2: float
    Q: float
    Q_df: int
    Q_pvalue: float
    pi_lower: float
    pi_upper: float
    conf_level: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _p_matrix(v: np.ndarray, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    w = 1.0 / (v + tau2)
    p = np.diag(w) - np.outer(w, w) / w.sum()
    return w, p


def reml_tau2(y: np.ndarray, v: np.ndarray) -> float:
    """The REML estimate of tau^2 (>= 0) by Fisher scoring with step halving (metafor's
    algorithm), started from the Hedges estimate."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    k = len(y)
    he = np.sum((y - y.mean()) ** 2) / (k - 1) - v.mean()
    tau2 = max(0.0, he)
    for _ in range(_MAXITER):
        _, p = _p_matrix(v, tau2)
        py = p @ y
        score = py @ py - np.trace(p)
        info = np.sum(p * p)
        step = score / info
        new = tau2 + step
        while new < 0:  # step halving (metafor): never below the boundary
            step /= 2
            new = tau2 + step
            if abs(step) < _TOL:
                new = 0.0
                break
        if abs(new - tau2) <= _TOL * max(1.0, tau2):
            return new
        tau2 = new
    raise DataError(f"random-effects meta-analysis: the REML estimate of the between-scheme "
                    f"variance did not converge in {_MAXITER} steps.")


def random_effects(y, v, conf_level: float = 0.95) -> MetaResult:
    """Random-effects meta-analysis of estimates ``y`` with sampling variances ``v``.

    Needs at least two studies with finite estimates and positive variances (DataError
    otherwise, naming what is wrong).
    """
    y, v = np.asarray(y, float), np.asarray(v, float)
    if len(y) != len(v) or len(y) < 2:
        raise DataError("random-effects meta-analysis needs estimates and variances of at "
                        f"least two studies (got {len(y)} estimates, {len(v)} variances).")
    if not (np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all()):
        raise DataError("random-effects meta-analysis: every estimate must be finite and every "
                        "sampling variance positive.")
    k, df = len(y), len(y) - 1
    tau2 = reml_tau2(y, v)
    w, p = _p_matrix(v, tau2)
    mu = float(w @ y / w.sum())
    q = float(w @ (y - mu) ** 2) / df
    se = float(np.sqrt(q / w.sum()))
    tcrit = t_ppf(0.5 + conf_level / 2, df)
    tval = mu / se if se > 0 else (np.copysign(np.inf, mu) if mu else np.nan)
    pvalue = float(2 * t_sf(abs(tval), df))
    wf = 1.0 / v
    mu_fe = wf @ y / wf.sum()
    big_q = float(wf @ (y - mu_fe) ** 2)
    s2 = df * wf.sum() / (wf.sum() ** 2 - np.sum(wf**2))
    pi_half = tcrit * np.sqrt(tau2 + se**2)
    return MetaResult(
        k=k, mu=mu, se=se, tval=float(tval), df=df, pvalue=pvalue,
        ci_lower=mu - tcrit * se, ci_upper=mu + tcrit * se, tau2=float(tau2),
        se_tau2=float(np.sqrt(2.0 / np.sum(p * p))),
        I2=float(100 * tau2 / (tau2 + s2)), H2=float((tau2 + s2) / s2),
        Q=big_q, Q_df=df, Q_pvalue=float(chi2_sf(big_q, df)),
        pi_lower=float(mu - pi_half), pi_upper=float(mu + pi_half), conf_level=conf_level,
    )
