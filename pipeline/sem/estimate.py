"""Maximum likelihood estimation of a structural equation model (complete data or FIML).

Optimiser: Fisher scoring (Newton steps with the expected information, Armijo backtracking)
on the FIML log-likelihood with its analytic gradient; if scoring stalls, scipy's BFGS finishes
the job. Starting values follow lavaan's "simple" rule: regressions 0, loadings 1 (scaled by the
indicator's SD relative to the marker), residual variances half the observed variance (full
variance for exogenous variables), exogenous covariances at their sample values, intercepts at
the observed means, latent means 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from pipeline.errors import DataError, ModelError, closest_names
from pipeline.sem.fiml import PatternData, loglik, split_patterns
from pipeline.sem.information import gradient, information_expected, information_observed
from pipeline.sem.partable import ParTable
from pipeline.sem.ram import RAMModel


@dataclass(frozen=True)
class Optimum:
    theta: np.ndarray
    loglik: float
    converged: bool
    iterations: int
    message: str


def prepare_data(data: pd.DataFrame, ov_names: list[str], missing: str, model: str
                 ) -> PatternData:
    """Select the observed variables, check them, and split by missing-data pattern."""
    absent = [v for v in ov_names if v not in data.columns]
    if absent:
        hints = {v: closest_names(v, [str(c) for c in data.columns]) for v in absent}
        hint = "; ".join(f"{v}: did you mean {h}?" for v, h in hints.items() if h)
        raise DataError(
            f"{model}: the data have no column(s) {absent} named in the model syntax. "
            f"{hint + '. ' if hint else ''}Rename the columns or fix the model syntax."
        )
    sub = data[ov_names]
    bad = [c for c in ov_names if not pd.api.types.is_numeric_dtype(sub[c])
           and not pd.api.types.is_bool_dtype(sub[c])]
    if bad:
        raise DataError(f"{model}: column(s) {bad} are not numeric; SEM needs numeric scores. "
                        "Recode them (e.g. via a label map) before fitting.")
    x = sub.to_numpy(dtype=float, na_value=np.nan)
    if missing == "listwise":
        keep = ~np.isnan(x).any(axis=1)
        pdat = split_patterns(x[keep])
        pdat.n_dropped += int((~keep).sum())
        pdat.kept_rows = np.flatnonzero(keep)[pdat.kept_rows]
    elif missing == "ml":
        pdat = split_patterns(x)
    else:
        raise ModelError(f"{model}: missing must be 'ml' or 'listwise', got {missing!r}.")
    if pdat.n_obs < 2:
        raise DataError(f"{model}: only {pdat.n_obs} usable case(s) after removing rows with "
                        "no data on the model variables; nothing to estimate.")
    counts = np.zeros(pdat.p)
    for pat in pdat.patterns:
        counts[pat.obs] += pat.n
    few = [ov_names[i] for i in np.flatnonzero(counts < 2)]
    if few:
        raise DataError(f"{model}: variable(s) {', '.join(few)} have fewer than 2 observed "
                        "values; drop them from the model or check the wave/column mapping.")
    spread = np.nanmax(x[pdat.kept_rows], axis=0) - np.nanmin(x[pdat.kept_rows], axis=0)
    constant = [ov_names[i] for i in np.flatnonzero(spread == 0)]
    if constant:
        raise DataError(f"{model}: variable(s) {', '.join(constant)} are constant in the "
                        "analysed cases (zero variance); drop them from the model.")
    return pdat


def _sample_moments(pdat: PatternData) -> tuple[np.ndarray, np.ndarray]:
    """Available-case means and pairwise covariances (start values only)."""
    p = pdat.p
    s1, n1 = np.zeros(p), np.zeros(p)
    for pat in pdat.patterns:
        s1[pat.obs] += pat.y.sum(axis=0)
        n1[pat.obs] += pat.n
    mean = s1 / n1
    sxy, nxy = np.zeros((p, p)), np.zeros((p, p))
    for pat in pdat.patterns:
        dev = pat.y - mean[pat.obs]
        sxy[np.ix_(pat.obs, pat.obs)] += dev.T @ dev
        nxy[np.ix_(pat.obs, pat.obs)] += pat.n
    cov = np.where(nxy > 1, sxy / np.maximum(nxy, 1), 0.0)
    return mean, cov


def start_values(pt: ParTable, model: RAMModel, pdat: PatternData) -> np.ndarray:
    """lavaan-like simple starting values for the free parameters."""
    tab = pt.table
    mean, cov = _sample_moments(pdat)
    ovpos = {v: k for k, v in enumerate(pt.ov_names)}
    lv = set(pt.lv_names)
    has_incoming = set(tab.loc[tab["op"] == "~", "lhs"]) | set(tab.loc[tab["op"] == "=~", "rhs"])
    marker = {}
    for r in tab[tab["op"] == "=~"].itertuples():
        if r.rhs in ovpos and r.lhs not in marker:
            marker[r.lhs] = r.rhs
    theta = np.zeros(pt.n_free)
    done = np.zeros(pt.n_free, dtype=bool)
    for r in tab.itertuples():
        if r.free == 0 or done[r.free - 1]:
            continue
        k = r.free - 1
        done[k] = True
        if not np.isnan(r.start):
            theta[k] = r.start
            continue
        val = 0.0
        if r.op == "=~":
            val = 1.0
            mk = marker.get(r.lhs)
            if mk and r.rhs in ovpos and cov[ovpos[mk], ovpos[mk]] > 0:
                val = float(np.sqrt(cov[ovpos[r.rhs], ovpos[r.rhs]] / cov[ovpos[mk], ovpos[mk]]))
        elif r.op == "~~" and r.lhs == r.rhs:
            if r.lhs in ovpos:
                v = cov[ovpos[r.lhs], ovpos[r.lhs]]
                val = v if r.lhs not in has_incoming else 0.5 * v
            else:
                mk = marker.get(r.lhs)
                val = 0.5 * cov[ovpos[mk], ovpos[mk]] if mk else 0.05
        elif r.op == "~~":
            if (r.lhs in ovpos and r.rhs in ovpos and r.lhs not in has_incoming
                    and r.rhs not in has_incoming):
                val = cov[ovpos[r.lhs], ovpos[r.rhs]]
        elif r.op == "~1" and r.lhs in ovpos and r.lhs not in lv:
            val = mean[ovpos[r.lhs]]
        theta[k] = val
    if not np.isfinite(loglik(*model.implied(theta), pdat)):
        # fall back to a diagonal start: no covariances
        for r in tab.itertuples():
            if r.free and r.op == "~~" and r.lhs != r.rhs and np.isnan(r.start):
                theta[r.free - 1] = 0.0
    return theta


#: from this many cases on, the scoring-to-quasi-Newton switch of the scoring steps of a model
#: linear in its parameters grows in proportion to the number of cases (:func:`fisher_scoring`)
SWITCH_CASES = 1000


def fisher_scoring(model: RAMModel, pdat: PatternData, theta0: np.ndarray, *,
                   max_iter: int = 500, tol: float = 1e-10, switch: float = 1e-2) -> Optimum:
    """Maximise the FIML log-likelihood: Fisher scoring, then quasi-Newton.

    Scoring steps ``theta += I_exp^{-1} g`` (Armijo backtracking) are taken while the Newton
    decrement ``g' I^{-1} g`` exceeds ``switch``. Under missing data the expected information
    is not the Hessian, so scoring then converges only linearly; from there the curvature matrix
    is refined by BFGS updates (Nocedal & Wright 2006, ch. 6) started at ``I_exp``, which
    converges superlinearly. Stops when the decrement is below ``tol``.

    The decrement is a log-likelihood difference, which grows with the number of cases for the
    same relative distance to the optimum. For a model whose moments are linear in the
    parameters (no free regression or loading: e.g. the saturated FIML wave means) from
    :data:`SWITCH_CASES` cases on the switch threshold grows with ``n`` (``switch * n /
    SWITCH_CASES``): with the absolute threshold the 100,000-case wave-means fit took ~380
    linearly converging scoring steps (~150 after). Structured models keep the absolute
    threshold (scaled, a 100,000-case CLPM needed 155 steps instead of 17); so does every model
    below :data:`SWITCH_CASES` cases.

    A model linear in its parameters takes Newton steps instead, on the observed information
    (the exact Hessian, which for such a model is ``Delta' H_m Delta``: one pass over the
    patterns, as the expected information), where it is positive definite; with the line search
    this converges quadratically: the 100,000-case wave means of 27 variables in 8 steps where
    scoring and BFGS took ~150 (issue 15), the demo's 630-case wave means with 16 auxiliaries
    in 10 where they took 407 (issue 14; the same optimum: ``tests/stats/test_fiml_means.py``
    holds it against lavaan). Where it is not positive definite the step is a scoring step,
    and the switch above applies to it.
    """
    theta = theta0.copy()
    ll, g = gradient(model, theta, pdat)
    if g is None:
        sigma, _ = model.implied(theta)
        zero = [model.names[i] for i in np.flatnonzero(np.diag(sigma) <= 0)]
        hint = (f"; variable(s) {zero} have zero implied variance (in lavaan() mode every "
                "variance must be written, e.g. 'x ~~ x')" if zero else "")
        return Optimum(theta, ll, False, 0, "the starting values give a non-positive-definite "
                                            "implied covariance matrix" + hint)
    curv = None  # BFGS approximation of minus the Hessian once switched
    newton = False  # Newton steps on the observed information (large linear models)
    if not np.any(model.kind == 0):
        switch = switch * max(1.0, pdat.n_obs / SWITCH_CASES)
        newton = True
    for it in range(1, max_iter + 1):
        exact = False  # a Newton step (the observed information)
        if curv is not None:
            mat = curv
        elif newton:
            mat, exact = _newton_matrix(model, theta, pdat)
        else:
            mat = information_expected(model, theta, pdat)
        try:
            step = np.linalg.solve(mat, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(mat, g, rcond=None)[0]
        dec = float(g @ step)
        if not np.isfinite(dec) or dec < 0:
            if curv is None:
                return _bfgs(model, pdat, theta, it)
            curv = None
            continue
        if dec < tol:
            return Optimum(theta, ll, True, it, "")
        t = 1.0
        while t > 1e-10:
            cand = theta + t * step
            ll_c, g_c = gradient(model, cand, pdat)
            if g_c is not None and ll_c >= ll + 1e-4 * t * dec:
                break
            t /= 2
        else:
            if curv is not None:  # restart from the expected information
                curv = None
                continue
            return _bfgs(model, pdat, theta, it)
        s_vec, y_vec = cand - theta, g - g_c
        if curv is None and dec < switch and not exact:
            curv = mat
        if curv is not None:
            sy = float(s_vec @ y_vec)
            if sy > 1e-12 * np.linalg.norm(s_vec) * np.linalg.norm(y_vec):
                cs = curv @ s_vec
                curv = curv - np.outer(cs, cs) / float(s_vec @ cs) + np.outer(y_vec, y_vec) / sy
        theta, ll, g = cand, ll_c, g_c
    return _bfgs(model, pdat, theta, max_iter)


def _newton_matrix(model: RAMModel, theta: np.ndarray, pdat: PatternData
                   ) -> tuple[np.ndarray, bool]:
    """(the observed information, True) where it is positive definite (Newton's step), else
    (the expected one, False): a scoring step, after which the switch to BFGS applies as for
    any scoring step."""
    obs = information_observed(model, theta, pdat)
    if np.all(np.isfinite(obs)):
        try:
            np.linalg.cholesky(obs)
            return obs, True
        except np.linalg.LinAlgError:
            pass
    return information_expected(model, theta, pdat), False


def _bfgs(model: RAMModel, pdat: PatternData, theta0: np.ndarray, it0: int) -> Optimum:
    n = pdat.n_obs

    def fun(th):
        ll, g = gradient(model, th, pdat)
        if g is None:
            return 1e10, np.zeros_like(th)
        return -ll / n, -g / n

    res = optimize.minimize(fun, theta0, jac=True, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 5000})
    ll, g = gradient(model, res.x, pdat)
    ok = g is not None and np.max(np.abs(g / n)) < 1e-5
    return Optimum(res.x, ll, bool(ok), it0 + int(res.nit),
                   "" if ok else f"optimiser stopped: {res.message}")
