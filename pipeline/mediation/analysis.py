"""Complete-case serial mediation: OLS estimates (PROCESS model 6) + vectorised bootstrap CIs.

Path coefficients (a, d, b, c', covariates) and the total effect c carry homoskedastic OLS SEs,
t statistics and t intervals, as PROCESS prints them (Hayes 2022). Indirect effects, their total,
contrasts and completely standardised indirect effects carry the bootstrap SE (SD of the draws)
and a percentile (default; Tibbe & Montoya 2022) or BCa (Efron & Tibshirani 1993) interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.mediation.bootstrap import (
    IndexPlan,
    ResamplePlan,
    bca_ci,
    bootstrap_draws,
    jackknife_effects,
    percentile_ci,
)
from pipeline.mediation.effects import EffectDef, effect_definitions, effect_values
from pipeline.mediation.frame import ChainData, chain_data, check_design, estimability
from pipeline.mediation.ols import Layout, chain_coefficients, gram, ols_equations, standardise
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table, empty_table, status_row
from pipeline.seeds import seed_for

PATH_TYPES = ("a", "d", "b", "direct", "covariate", "total")


@dataclass
class MediationResult:
    """Tidy table, status row and (optionally) the bootstrap draws of one analysis."""

    table: pd.DataFrame
    status: pd.DataFrame
    draws: np.ndarray | None = None
    definitions: list[EffectDef] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.status["status"].iloc[0] == "ok")


def job_key(analysis: str, suffix: str = "") -> str:
    """Seed key of an analysis: ``mediation/<name>`` (+ ``/<suffix>``)."""
    return f"mediation/{analysis}" + (f"/{suffix}" if suffix else "")


def fit_chain(data: ChainData, plan: ResamplePlan | IndexPlan, *, ci: str = "percentile",
              conf: float = 0.95, analysis: str = "mediation", method: str = "complete_case",
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
    else:
        lo, hi = percentile_ci(draws, conf)
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
        ci_method[r] = "ols_t"
    table = build_table(defs, est, se, stat, pval, lo, hi, ci_method, analysis, method,
                        data.n, draws.shape[0])
    return table, draws, n_failed


def run_mediation(wide: pd.DataFrame, spec: MediationSpec, *, seed: int, B: int = 5000,
                  ci: str = "percentile", conf: float = 0.95, min_df: int = 10, warn_n: int = 30,
                  chunk_draws: int | None = None,
                  plan: ResamplePlan | IndexPlan | None = None) -> MediationResult:
    """Complete-case analysis of one spec. ``seed`` is the config seed; draws are seeded with
    ``seed_for(seed, "mediation/<name>")``. Too few complete cases -> status not_estimable and
    no estimates; a constant or collinear predictor -> DataError."""
    data = chain_data(wide, spec)
    status, message = estimability(data.n, data.n_params_max, min_df, warn_n)
    if status != "ok":
        return MediationResult(empty_table(), status_row(spec.name, "complete_case", status,
                                                         f"analysis '{spec.name}': {message}"))
    check_design(data.Z, data.names, spec.name)
    plan = plan or ResamplePlan(data.n, B, seed_for(seed, job_key(spec.name)))
    table, draws, n_failed = fit_chain(data, plan, ci=ci, conf=conf, analysis=spec.name,
                                       chunk_draws=chunk_draws)
    notes = [message] if message else []
    notes += list(data.notes)
    if n_failed:
        notes.append(f"{n_failed} of {plan.B} bootstrap resamples could not be estimated and were discarded "
                     "(intervals use the remaining draws, as PROCESS does)")
    notes.append(
        f"complete cases n = {data.n} of {data.n_total}; OLS (PROCESS model {6 if spec.k > 1 else 4}), "
        f"{ci} bootstrap CIs from {draws.shape[0]} resamples"
    )
    layout = Layout(data.n_cov, data.k)
    return MediationResult(table, status_row(spec.name, "complete_case", "ok", "; ".join(notes)),
                           draws, effect_definitions(data.names, layout))


def run_analyses(wide: pd.DataFrame, specs: Sequence[MediationSpec], settings: Mapping[str, Any],
                 seed: int, min_df: int = 10, warn_n: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All analyses (complete case); returns the stacked tables and status rows.

    A model that fails (ModelError, e.g. most resamples singular) gets status ``failed`` and no
    estimates; bad input (DataError) is raised, naming the analysis and variable.
    """
    tables, statuses = [], []
    for spec in specs:
        try:
            res = run_mediation(wide, spec, seed=seed, B=settings.get("B", 5000),
                                ci=settings.get("ci", "percentile"), conf=settings.get("conf", 0.95),
                                min_df=min_df, warn_n=warn_n, chunk_draws=settings.get("chunk_draws"))
        except ModelError as exc:
            res = MediationResult(empty_table(), status_row(spec.name, "complete_case", "failed", str(exc)))
        tables.append(res.table)
        statuses.append(res.status)
    return pd.concat(tables, ignore_index=True), pd.concat(statuses, ignore_index=True)
