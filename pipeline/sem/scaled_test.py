"""The MLR scaled chi-square of a FIML model and the Satorra-Bentler (2001) scaled difference.

**Scaled test statistic** (lavaan 0.6 ``estimator = "MLR"``, ``test = "yuan.bentler.mplus"``;
Yuan & Bentler 2000, *Sociological Methodology* 30, 165-200; the Mplus MLR variant of
Asparouhov & Muthen 2010, "Computing the strictly positive Satorra-Bentler chi-square test in
Mplus", and Muthen & Muthen's Mplus technical appendix). For a model with ML chi-square ``T``
and ``df`` degrees of freedom (``lav_test_yuan_bentler``, ``lav_test_yuan_bentler_mplus_trace``):

    c = [ sum_g tr(B1_g A1_g^{-1}) - tr(B0 A0^{-1}) ] / df,      chisq.scaled = T / c,

* ``A1_g``, ``B1_g``: the observed (Hessian) and first-order (cross-product of casewise scores)
  information of group ``g``'s *saturated* FIML model in its moments ``(mu, vech Sigma)``, both
  at the saturated (EM) estimates: the Mplus variant always uses ``h1.information =
  "unstructured"`` here (:func:`saturated_hessian`, :func:`h1_trace`);
* ``A0``, ``B0``: the model's observed information (lavaan's numerical Hessian, MLR's default
  with ``missing = "ml"``) and first-order information over all cases at the estimates
  (:func:`model_trace`); equality constraints (shared labels) reduce the parameter vector, which
  gives the same trace as lavaan's augmented inverse.

The traces do not depend on how the information is normalised (per case or total) as long as
``A`` and ``B`` share it. ``df = 0`` gives no scaling factor (``NaN``; ``chisq.scaled = T``);
a negative ``c`` is ``NaN`` (lavaan sets it to ``NA``).

**Scaled difference** of nested models (Satorra & Bentler 2001, *Psychometrika* 66, 507-514;
lavaan ``lavTestLRT(fit0, fit1)`` for MLR fits, ``method = "satorra.bentler.2001"``,
``lav_test_diff_SatorraBentler2001``): restricted ``0`` and free ``1``,

    cd = (df0 c0 - df1 c1) / (df0 - df1),      T = (T0 - T1) / cd  ~  chi2(df0 - df1),

with the ML chi-squares ``T0``, ``T1``, ``c1 = 1`` when ``df1 = 0`` (a saturated free model),
and, as lavaan, no test when ``cd < 0`` (lavaan warns "scaling factor is negative" and gives
``NA``): here ``NaN`` with a ``message`` saying why, which callers turn into a status. (The
strictly positive 2010 variant needs a refit of the free model at the restricted estimates and
is not computed.)

R equivalent: ``fitMeasures(fit, c("chisq.scaled", "chisq.scaling.factor"))`` and
``lavTestLRT(fit_equal, fit_free)`` with ``estimator = "MLR", missing = "ml"``; references in
``tests/fixtures/comparison_arms/make_scaled_tests.R``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.sem import fit as single
from pipeline.sem.fiml import PatternData, casewise_scores
from pipeline.sem.information import information_first_order, information_observed
from pipeline.sem.ram import RAMModel
from pipeline.stats.distributions import chi2_sf

__all__ = ["saturated_hessian", "h1_trace", "model_trace", "scaled_statistic",
           "scaled_chisq", "scaled_chisq_sem", "sb2001_difference", "nested_scaled_test",
           "scaled_lr_test_sem"]


def _duplication(k: int, vr: np.ndarray, vc: np.ndarray) -> np.ndarray:
    """Duplication matrix ``D`` (vec = D vech) for the vech order ``(vr, vc)``, column-major."""
    dup = np.zeros((k * k, len(vr)))
    a = np.arange(len(vr))
    dup[vr + vc * k, a] = 1.0
    dup[vc + vr * k, a] = 1.0
    return dup


def saturated_hessian(sigma: np.ndarray, mu: np.ndarray, data: PatternData) -> np.ndarray:
    """Analytic Hessian of the FIML log-likelihood in the moments ``[mu, vech Sigma]`` (total
    over cases; lavaan ``lav_mvnorm_missing_logl_hessian_samplestats``).

    Per pattern (``n`` cases, ``W = Sigma_oo^{-1}``, ``d = ybar - mu_o``, ``M = S + d d'``,
    ``A = W M W``, ``E_a`` the symmetric unit matrix of vech element ``a``):
    ``d2/dmu2 = -n W``; ``d2/dmu dsigma_a = -n W E_a W d``;
    ``d2/dsigma_a dsigma_b = -n/2 D'[-(W x W) + (W x A) + (A x W)] D``.
    """
    p = data.p
    hess = np.zeros((p + p * (p + 1) // 2,) * 2)
    for pat in data.patterns:
        k = len(pat.obs)
        w = np.linalg.inv(sigma[pat.ix_oo])
        d = pat.ybar - mu[pat.obs]
        a = w @ (pat.scov + np.outer(d, d)) @ w
        u = w @ d
        dup = _duplication(k, pat.vr, pat.vc)
        h_ss = -0.5 * pat.n * dup.T @ (-np.kron(w, w) + np.kron(w, a) + np.kron(a, w)) @ dup
        off = pat.vr != pat.vc
        h_ms = w[:, pat.vr] * u[pat.vc] + np.where(off, w[:, pat.vc] * u[pat.vr], 0.0)
        idx = np.concatenate([pat.mom_mu, pat.mom_vech])
        block = np.block([[-pat.n * w, -pat.n * h_ms], [-pat.n * h_ms.T, h_ss]])
        hess[np.ix_(idx, idx)] += block
    return hess


def h1_trace(data: PatternData, mu_h1: np.ndarray, sigma_h1: np.ndarray) -> float:
    """``tr(B1 A1^{-1})`` of one group's saturated model at its EM estimates (unstructured).

    Moments whose information is exactly zero (never observed) are left out, as lavaan masks
    zero diagonal entries; a singular ``A1`` raises ``LinAlgError``.
    """
    a1 = -saturated_hessian(sigma_h1, mu_h1, data)
    scores = casewise_scores(sigma_h1, mu_h1, data)
    b1 = scores.T @ scores
    keep = np.flatnonzero(np.diag(a1) != 0)
    a1, b1 = a1[np.ix_(keep, keep)], b1[np.ix_(keep, keep)]
    return float(np.trace(np.linalg.solve(a1, b1)))


def model_trace(model: RAMModel, theta: np.ndarray, data: PatternData) -> float:
    """``tr(B0 A0^{-1})``: the model's first-order and observed information at ``theta``."""
    a0 = information_observed(model, theta, data)
    if not np.all(np.isfinite(a0)):
        raise np.linalg.LinAlgError("the observed information is not finite")
    b0 = information_first_order(model, theta, data)
    return float(np.trace(np.linalg.solve(a0, b0)))


def scaled_statistic(chisq: float, df: float, trace_ugamma: float) -> dict[str, float]:
    """lavaan's ``chisq.scaled``, ``chisq.scaling.factor`` (``c = tr(U Gamma) / df``; ``NaN``
    when ``df <= 0`` or ``c < 0``) and ``pvalue.scaled``."""
    nan = float("nan")
    if df <= 0:
        return {"chisq.scaled": float(chisq), "df.scaled": float(df),
                "chisq.scaling.factor": nan, "pvalue.scaled": nan}
    c = trace_ugamma / df
    if not np.isfinite(c) or c < 0:
        return {"chisq.scaled": nan, "df.scaled": float(df), "chisq.scaling.factor": nan,
                "pvalue.scaled": nan}
    t = chisq / c
    return {"chisq.scaled": float(t), "df.scaled": float(df), "chisq.scaling.factor": float(c),
            "pvalue.scaled": float(chi2_sf(t, df))}


def scaled_chisq(model: RAMModel, theta: np.ndarray, data: PatternData,
                 h1: Sequence[tuple[PatternData, np.ndarray, np.ndarray]], chisq: float,
                 df: float) -> dict[str, float]:
    """The scaled statistic of a (stacked multi-group or single-group) FIML model.

    ``model``/``theta``/``data``: the fitted model and all its cases; ``h1``: per group its
    pattern data and saturated estimates ``(data_g, mu_g, sigma_g)``; ``chisq``/``df``: the ML
    test. A singular information gives ``NaN`` scaling (lavaan: "could not invert").
    """
    if df <= 0:
        return scaled_statistic(chisq, df, float("nan"))
    try:
        trace = sum(h1_trace(d, m, s) for d, m, s in h1) - model_trace(model, theta, data)
    except np.linalg.LinAlgError:
        trace = float("nan")
    return scaled_statistic(chisq, df, trace)


def scaled_chisq_sem(result, model: str, data: pd.DataFrame) -> dict[str, float]:
    """:func:`scaled_chisq` of a single-group :func:`pipeline.sem.fit_sem` result, rebuilding
    the model and data as ``fit_sem`` did (same ``model`` syntax and ``data``)."""
    _, ram, pdat, _ = single._build_model(model, data, result.options, result.name)
    mu, sigma, _, _ = single._h1(pdat)
    return scaled_chisq(ram, result.theta, pdat, [(pdat, mu, sigma)], result.fit["chisq"],
                        result.fit["df"])


def sb2001_difference(restricted: dict[str, float], free: dict[str, float]
                      ) -> dict[str, float | str]:
    """Satorra-Bentler (2001) scaled chi-square difference of two nested fits' measures
    (``chisq``, ``df``, ``chisq.scaling.factor``): ``chisq_diff``, ``df_diff``, ``pvalue``,
    ``scaling_factor`` (``cd``) and ``message`` (empty, or why there is no test: ``cd < 0`` or
    a scaling factor that could not be computed). ``df0 <= df1`` raises ``ValueError``."""
    t0, r0, c0 = restricted["chisq"], restricted["df"], restricted["chisq.scaling.factor"]
    t1, r1, c1 = free["chisq"], free["df"], free["chisq.scaling.factor"]
    if r1 == 0:
        c1 = 1.0
    m = r0 - r1
    if m <= 0:
        raise ValueError(f"the restricted model (df {r0:g}) is not more restricted than the "
                         f"free model (df {r1:g})")
    nan = float("nan")
    cd = (r0 * c0 - r1 * c1) / m
    out = {"chisq_diff": nan, "df_diff": float(m), "pvalue": nan, "scaling_factor": nan,
           "message": ""}
    if not np.isfinite(cd):
        out["message"] = ("a model's scaling factor could not be computed (its information "
                          "matrix is singular)")
    elif cd < 0:
        out["message"] = (f"the difference's scaling factor is negative ({cd:.3g}), as happens "
                          "with small samples or models far apart; no scaled LR test")
    else:
        t = (t0 - t1) / cd
        out.update(chisq_diff=float(t), pvalue=float(chi2_sf(t, m)),
                   scaling_factor=float(cd))
    return out


def nested_scaled_test(restricted, free, scaled: Callable[[object], dict[str, float]],
                       what: str) -> dict[str, float | str]:
    """:func:`sb2001_difference` of two fits (``.fit`` with ``chisq``/``df``, ``.name``), with
    ``scaled(fit)`` their scaled measures (only computed for ``df > 0``). Adds the models'
    factors ``scaling_restricted`` / ``scaling_free``; wrong order raises :class:`ModelError`."""
    measures = []
    for r in (restricted, free):
        base = {"chisq": r.fit["chisq"], "df": r.fit["df"], "chisq.scaling.factor": np.nan}
        measures.append({**base, **scaled(r)} if r.fit["df"] > 0 else base)
    try:
        out = sb2001_difference(*measures)
    except ValueError as err:
        raise ModelError(f"{what}: {restricted.name} vs {free.name}: {err}; pass the "
                         "restricted model first.") from err
    return {**out, "scaling_restricted": measures[0]["chisq.scaling.factor"],
            "scaling_free": measures[1]["chisq.scaling.factor"]}


def scaled_lr_test_sem(restricted, free, restricted_model: str, free_model: str,
                       data: pd.DataFrame) -> dict[str, float | str]:
    """Satorra-Bentler (2001) scaled difference of two nested single-group
    :func:`pipeline.sem.fit_sem` fits (their syntaxes and the one data frame they were fitted
    to): lavaan ``lavTestLRT(restricted, free)`` of MLR fits. Keys as
    :func:`nested_scaled_test`."""
    for r in (restricted, free):
        if r.status != "ok":
            raise ModelError(f"scaled LR test: model {r.name} has status {r.status} "
                             f"({r.message}); the test needs two successful fits.")
    if restricted.n_obs != free.n_obs:
        raise ModelError(f"scaled LR test: {restricted.name} used {restricted.n_obs} cases but "
                         f"{free.name} used {free.n_obs}; nested models must be fitted to the "
                         "same cases.")
    syntax = {id(restricted): restricted_model, id(free): free_model}
    return nested_scaled_test(restricted, free,
                              lambda r: scaled_chisq_sem(r, syntax[id(r)], data),
                              "scaled LR test")
