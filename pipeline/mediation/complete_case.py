"""Complete-case serial mediation: closed-form OLS (PROCESS models 4 and 6) with bootstrap CIs.

Paths (a, d, b, c', total c, covariates) carry the usual OLS standard errors, t statistics and
t-based intervals, as PROCESS prints them (Hayes 2022). Indirect effects, their total,
contrasts and completely standardised indirect effects carry the bootstrap SE (SD of the draws)
and a percentile (default; Tibbe & Montoya 2022) or BCa (Efron & Tibshirani 1993) interval.

In R: ``processR``/PROCESS ``model = 6``; lavaan ``sem(..., se = "bootstrap")`` with
``parameterEstimates(boot.ci.type = "perc" | "bca.simple")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.mediation.bootstrap import (
    IndexPlan,
    ResamplePlan,
    bca_ci,
    bootstrap_draws,
    jackknife_effects,
    percentile_ci_mcse,
)
from pipeline.mediation.effects import effect_definitions, effect_values
from pipeline.mediation.estimator import MediationEstimator, MediationResult, job_key
from pipeline.mediation.frame import ChainData, chain_data, check_design
from pipeline.mediation.ols import (
    Layout,
    OLSEquation,
    chain_coefficients,
    gram,
    ols_equations,
    standardise,
)
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table
from pipeline.seeds import seed_for

__all__ = ["PATH_TYPES", "fit_chain", "CompleteCaseBootstrap"]

PATH_TYPES = ("a", "d", "b", "direct", "covariate", "total")


def fit_chain(data: ChainData, plan: ResamplePlan | IndexPlan, *, ci: str, conf: float,
              analysis: str = "mediation", method: str = "complete_case",
              chunk_draws: int | None = None) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Estimate the chain on a complete design; return (table, bootstrap draws, failed draws).

    Bootstrap SEs and intervals are computed only for the rows that report them (indirect
    effects, their total, contrasts, standardised effects); path rows take the OLS t results.
    Percentile intervals and the Monte Carlo SEs of their bounds come from one partition
    (:func:`percentile_ci_mcse`), the one rule for percentile intervals in the package."""
    layout = Layout(n_cov=data.n_cov, k=data.k)
    Zs, scaling = standardise(data.Z)
    defs = effect_definitions(data.names, layout)
    est = effect_values(chain_coefficients(gram(Zs), layout, scaling), layout)
    draws, n_failed = bootstrap_draws(Zs, layout, scaling, plan, chunk_draws, analysis)
    size = len(defs)
    se, stat, pval, df, lo, hi, mc_lo, mc_hi = (np.full(size, np.nan) for _ in range(8))
    boot = np.array([d.effect_type not in PATH_TYPES for d in defs])
    sel = draws[:, boot]
    se[boot] = sel.std(axis=0, ddof=1)
    if ci == "bca":
        jack = jackknife_effects(Zs, layout, scaling)[:, boot]
        lo[boot], hi[boot] = bca_ci(est[boot], sel, jack, conf)
    else:
        lo[boot], hi[boot], mc_lo[boot], mc_hi[boot] = percentile_ci_mcse(sel, conf)
    ci_method = np.where(boot, ci, "ols_t").astype(object)
    rows = _path_rows(defs, data.names, ols_equations(Zs, layout, scaling), conf)
    for r, (e, s_, t, p, lo_t, hi_t, d) in rows.items():
        est[r], se[r], stat[r], pval[r], lo[r], hi[r], df[r] = e, s_, t, p, lo_t, hi_t, d
        mc_lo[r] = mc_hi[r] = 0.0
    table = build_table(defs, est, se, stat, pval, lo, hi, ci_method, analysis, method,
                        data.n, draws.shape[0], df=df, conf=conf, mcse_lower=mc_lo,
                        mcse_upper=mc_hi)
    return table, draws, n_failed


def _path_rows(defs: list, names: tuple[str, ...], eqs: list[OLSEquation], conf: float
               ) -> dict[int, tuple[float, ...]]:
    """``row -> (est, se, t, p, ci_lower, ci_upper, df)`` of every path row from its OLS
    equation (t statistics, p values and intervals computed once per equation)."""
    col = {name: i + 1 for i, name in enumerate(names)}
    start = np.cumsum([0] + [len(e.est) for e in eqs])
    est, se = np.concatenate([e.est for e in eqs]), np.concatenate([e.se for e in eqs])
    dfs = np.repeat([e.df for e in eqs], np.diff(start))
    from scipy import stats  # lazy: 0.7 s of imports the boot-MI block jobs never use

    t = est / se
    pval = 2 * stats.t.sf(np.abs(t), dfs)          # one SciPy call per statistic, not per row
    half = stats.t.ppf(0.5 + conf / 2, dfs) * se
    by_outcome = {e.outcome: i for i, e in enumerate(eqs[:-1])}
    out = {}
    for r, d in enumerate(defs):
        if d.effect_type not in PATH_TYPES:
            continue
        if d.effect_type == "total":
            i = start[-2]
        else:
            e = by_outcome[col[d.lhs]]
            i = start[e] + eqs[e].regressors.index(col[d.rhs])
        out[r] = (est[i], se[i], t[i], pval[i], est[i] - half[i], est[i] + half[i], dfs[i])
    return out


class CompleteCaseBootstrap(MediationEstimator):
    """Complete cases, OLS, case-resampling bootstrap (``B`` resamples, ``ci`` percentile | bca).

    Resamples are seeded with ``seed_for(seed, "mediation/<name>")`` unless an explicit ``plan``
    is given (e.g. another program's resamples). A constant or collinear predictor is a
    DataError (not estimable); most resamples singular is a ModelError (failed).
    """

    method = "complete_case"

    def __init__(self, *, B: int, ci: str, chunk_draws: int | None = None,
                 plan: ResamplePlan | IndexPlan | None = None, **common) -> None:
        super().__init__(**common)
        self.B, self.ci, self.chunk_draws, self.plan = B, ci, chunk_draws, plan

    def _fit(self, wide: pd.DataFrame, spec: MediationSpec) -> MediationResult:
        data = chain_data(wide, spec)
        layout = Layout(data.n_cov, data.k)
        message = self.check_estimable(spec, data.n, layout.n_params_y, "complete cases")
        check_design(data.Z, data.names, spec.name)
        plan = self.plan or ResamplePlan(data.n, self.B, seed_for(self.seed, job_key(spec.name)))
        table, draws, n_failed = fit_chain(data, plan, ci=self.ci, conf=self.conf,
                                           analysis=spec.name, chunk_draws=self.chunk_draws)
        notes = [message, *data.notes]
        if n_failed:
            notes.append(f"{n_failed} of {plan.B} bootstrap resamples could not be estimated and "
                         "were discarded (intervals use the remaining draws, as PROCESS does)")
        notes.append(
            f"complete cases n = {data.n} of {data.n_total}; OLS (PROCESS model "
            f"{6 if spec.k > 1 else 4}), {self.ci} bootstrap CIs from {draws.shape[0]} resamples"
        )
        defs = effect_definitions(data.names, layout)
        return self.finish(spec, table, notes, draws, defs)
