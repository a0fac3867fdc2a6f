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
    percentile_ci,
    quantile_mc_se,
)
from pipeline.mediation.effects import effect_definitions, effect_values
from pipeline.mediation.estimator import MediationEstimator, MediationResult, job_key
from pipeline.mediation.frame import ChainData, chain_data, check_design
from pipeline.mediation.ols import Layout, chain_coefficients, gram, ols_equations, standardise
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table
from pipeline.seeds import seed_for

__all__ = ["PATH_TYPES", "fit_chain", "CompleteCaseBootstrap"]

PATH_TYPES = ("a", "d", "b", "direct", "covariate", "total")


def fit_chain(data: ChainData, plan: ResamplePlan | IndexPlan, *, ci: str, conf: float,
              analysis: str = "mediation", method: str = "complete_case",
              chunk_draws: int | None = None) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Estimate the chain on a complete design; return (table, bootstrap draws, failed draws)."""
    layout = Layout(n_cov=data.n_cov, k=data.k)
    Zs, scaling = standardise(data.Z)
    defs = effect_definitions(data.names, layout)
    est = effect_values(chain_coefficients(gram(Zs), layout, scaling), layout)
    draws, n_failed = bootstrap_draws(Zs, layout, scaling, plan, chunk_draws, analysis)
    se = draws.std(axis=0, ddof=1)
    if ci == "bca":
        lo, hi = bca_ci(est, draws, jackknife_effects(Zs, layout, scaling), conf)
        mc_lo = mc_hi = np.full(len(defs), np.nan)
    else:
        lo, hi = percentile_ci(draws, conf)
        mc_lo, mc_hi = (quantile_mc_se(draws, p) for p in ((1 - conf) / 2, (1 + conf) / 2))
    df = np.full(len(defs), np.nan)
    stat = np.full(len(defs), np.nan)
    pval = np.full(len(defs), np.nan)
    ci_method = np.array([ci] * len(defs), dtype=object)
    eqs = ols_equations(Zs, layout, scaling)
    col = {name: i + 1 for i, name in enumerate(data.names)}
    by_outcome = {e.outcome: e for e in eqs[:-1]}
    for r, d in enumerate(defs):
        if d.effect_type not in PATH_TYPES:
            continue
        if d.effect_type == "total":
            eq, pos = eqs[-1], 0
        else:
            eq = by_outcome[col[d.lhs]]
            pos = eq.regressors.index(col[d.rhs])
        lo_t, hi_t = eq.ci(conf)
        est[r], se[r], stat[r], pval[r] = eq.est[pos], eq.se[pos], eq.t[pos], eq.pvalue[pos]
        lo[r], hi[r] = lo_t[pos], hi_t[pos]
        df[r], mc_lo[r], mc_hi[r] = eq.df, 0.0, 0.0
        ci_method[r] = "ols_t"
    table = build_table(defs, est, se, stat, pval, lo, hi, ci_method, analysis, method,
                        data.n, draws.shape[0], df=df, conf=conf, mcse_lower=mc_lo,
                        mcse_upper=mc_hi)
    return table, draws, n_failed


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
