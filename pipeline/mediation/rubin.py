"""Serial mediation with multiple imputation by Rubin's rules (``mediation.mi.method: rubin``).

The scalable MI method: the chain is fitted by OLS (PROCESS model 6, the equations of the
complete-case analysis) on each of the m completed data sets the impute stage already made
(``results/<study>/imputed/imputations.parquet``, read one data set at a time through
:func:`pipeline.stage_io.read_imputed`), so it costs m OLS fits instead of the B x M MICE runs of
bootstrap-then-impute (:mod:`pipeline.mediation.mi`).

Pooling (Rubin 1987):

* every path coefficient (a, d, b, c', covariates) and the total effect c (the regression of Y
  on X and the covariates) is pooled as ``mice::pool`` pools ``with(imp, lm(...))``: mean
  estimate, T = Ubar + (1 + 1/m) B, Barnard & Rubin (1999) df with the complete-data df
  n - p of its equation, t interval (:func:`pipeline.stats.pooling.rubin_pool`);
* the indirect effects, their total, contrasts and completely standardised indirect effects
  come from the pooled coefficients: point estimate = the product of the pooled coefficients,
  interval = Monte Carlo percentile interval (Preacher & Selig 2012; the FIML method's machinery,
  :func:`pipeline.sem.montecarlo.draw_parameters`) from ``mc_draws`` draws of N(Qbar, T), with
  T the pooled covariance matrix of all path coefficients, Ubar + (1 + 1/m) B (B the
  between-imputation covariance; the within-imputation covariance is block diagonal over the
  equations, as OLS of a recursive model gives it). SE = SD of the draws, no p value (as the
  bootstrap rows). Standardised effects use SD(X) / SD(Y) averaged over the imputations.
  Draws are seeded ``seed_for(seed, "mediation/<name>/rubin_mc")``.

Change scores and dummies are derived after imputation ("impute, then transform"); a chain
variable left missing by the imputations (not in ``missing_data.columns``) is a ModelError.

In R: ``fit <- with(imp, lm(M1 ~ X + C)); pool(fit)`` per equation, and
``semTools::monteCarloCI`` on the pooled ``lavaan.mi`` fit for the indirect effects
(``tests/fixtures/mediation_rubin/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError
from pipeline.mediation.analysis import estimators
from pipeline.mediation.bootstrap import quantile_mc_se
from pipeline.mediation.effects import effect_definitions, effect_values
from pipeline.mediation.estimator import MediationEstimator, MediationResult, job_key
from pipeline.mediation.frame import check_design, derive_frame, model_columns, varying_levels
from pipeline.mediation.ols import Coefs, Layout, standardise
from pipeline.mediation.settings import MediationSettings
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table
from pipeline.seeds import seed_for
from pipeline.sem.montecarlo import draw_parameters, percentile_interval
from pipeline.stage_io import completed_frames
from pipeline.stats.pooling import rubin_covariance, rubin_pool

__all__ = ["RubinMI", "ChainFit", "fit_chain_ols", "pool_chain", "PooledChain", "METHOD_NOTE",
           "run_analyses_rubin"]

#: effect types pooled directly by Rubin's rules (regression coefficients); the rest by MC
PATH_TYPES = ("a", "d", "b", "direct", "covariate", "total")
METHOD_NOTE = (
    "multiple imputation by Rubin's rules: OLS on each of the m = {m} imputed data sets of the "
    "impute stage ({n} records); paths and the total effect pooled by Rubin's rules with "
    "Barnard-Rubin df ({pct}% t intervals); indirect effects from the pooled coefficients with "
    "{pct}% Monte Carlo intervals from {R} draws of their pooled covariance (within + (1 + 1/m) "
    "between; Preacher & Selig 2012); largest fraction of missing information {fmi:.2f}"
)


@dataclass(frozen=True)
class ChainFit:
    """OLS of the chain's equations on one completed data set (raw units).

    ``theta``: the slopes of every mediator equation, then of the outcome equation, each in
    design order (X, covariates, earlier mediators); ``vcov``: their block-diagonal covariance
    ``sigma^2 (X'X)^-1``; ``dfcom``: the residual df of each slope's equation; ``c``, ``c_var``,
    ``c_df``: the total effect (Y on X and covariates) and its variance and df; ``sd_x``,
    ``sd_y``: SDs of X and Y."""

    theta: np.ndarray
    vcov: np.ndarray
    dfcom: np.ndarray
    c: float
    c_var: float
    c_df: float
    sd_x: float
    sd_y: float


def _equations(layout: Layout) -> list[tuple[int, int]]:
    """``(outcome column, number of regressor columns incl. the constant)`` of every equation
    whose slopes are in ``theta``: mediators in order, then Y."""
    return [(layout.med(j), layout.med(j)) for j in range(layout.k)] + [(layout.y, layout.y)]


def fit_chain_ols(Z: np.ndarray, layout: Layout) -> ChainFit:
    """:class:`ChainFit` of the design ``Z = [1, X, C, M1..Mk, Y]`` (homoskedastic OLS, the
    equations of :func:`pipeline.mediation.ols.ols_equations`, with full covariances)."""
    Zs, scaling = standardise(np.asarray(Z, dtype=float))
    n, s = Zs.shape[0], scaling.scale
    thetas, blocks, dfs = [], [], []

    def ols(t: int, p: int) -> tuple[np.ndarray, np.ndarray, int]:
        X = Zs[:, :p]
        inv = np.linalg.inv(X.T @ X)
        beta = inv @ (X.T @ Zs[:, t])
        resid = Zs[:, t] - X @ beta
        sigma2 = resid @ resid / (n - p)
        conv = s[t] / s[1:p]
        return beta[1:] * conv, sigma2 * inv[1:, 1:] * np.outer(conv, conv), n - p

    for t, p in _equations(layout):
        beta, v, df = ols(t, p)
        thetas.append(beta)
        blocks.append(v)
        dfs.append(np.full(beta.size, df, dtype=float))
    size = sum(b.size for b in thetas)
    vcov = np.zeros((size, size))
    at = 0
    for v in blocks:
        vcov[at:at + len(v), at:at + len(v)] = v
        at += len(v)
    beta_c, v_c, df_c = ols(layout.y, 2 + layout.n_cov)
    sd = Z[:, [1, layout.y]].std(axis=0, ddof=1)
    return ChainFit(np.concatenate(thetas), vcov, np.concatenate(dfs), float(beta_c[0]),
                    float(v_c[0, 0]), float(df_c), float(sd[0]), float(sd[1]))


def theta_names(names: tuple[str, ...], layout: Layout) -> list[tuple[str, str]]:
    """``(lhs, rhs)`` of every entry of ``ChainFit.theta`` (design names X, C, M1..Mk, Y)."""
    out = []
    for t, p in _equations(layout):
        out += [(names[t - 1], names[j - 1]) for j in range(1, p)]
    return out


def coefs_from_theta(theta: np.ndarray, layout: Layout, sd_x: float, sd_y: float) -> Coefs:
    """The chain's :class:`Coefs` of parameter vectors ``theta`` (``(..., P)``), for
    :func:`pipeline.mediation.effects.effect_values` (the total-effect fields are unused)."""
    k, nc = layout.k, layout.n_cov
    batch = theta.shape[:-1]
    a, d = np.empty(batch + (k,)), np.zeros(batch + (k, k))
    cov_m = np.empty(batch + (k, nc))
    at = 0
    for j in range(k):
        a[..., j] = theta[..., at]
        cov_m[..., j, :] = theta[..., at + 1:at + 1 + nc]
        d[..., j, :j] = theta[..., at + 1 + nc:at + 1 + nc + j]
        at += 1 + nc + j
    cp, cov_y = theta[..., at], theta[..., at + 1:at + 1 + nc]
    b = theta[..., at + 1 + nc:at + 1 + nc + k]
    zero = np.zeros(batch)
    return Coefs(a=a, d=d, b=b, cp=cp, c=zero, cov_m=cov_m, cov_y=cov_y,
                 cov_c=np.zeros(batch + (nc,)), sd_x=np.full(batch, sd_x),
                 sd_y=np.full(batch, sd_y))


@dataclass(frozen=True)
class PooledChain:
    """Rubin-pooled chain: ``paths`` (``rubin_pool`` rows of every slope in ``theta`` order),
    ``total`` (the pooled total effect, one row), ``theta`` and ``T`` (pooled coefficients and
    their total covariance Ubar + (1 + 1/m) B), mean SDs of X and Y, m."""

    paths: pd.DataFrame
    total: pd.DataFrame
    theta: np.ndarray
    T: np.ndarray
    sd_x: float
    sd_y: float
    m: int


def pool_chain(fits: list[ChainFit], terms: list[str], conf: float) -> PooledChain:
    """Rubin's rules over the per-imputation fits; DataError when m < 2 (or, from
    ``rubin_pool``, an estimate is not finite)."""
    m = len(fits)
    if m < 2:
        raise DataError(f"Rubin's rules need at least 2 imputed data sets, the impute stage made "
                        f"{m}; set missing_data.m >= 2 (or auto) and rerun impute.")
    q = np.array([f.theta for f in fits])
    u = np.array([np.diag(f.vcov) for f in fits])
    dfcom = np.min([f.dfcom for f in fits], axis=0)
    paths = rubin_pool(q, u, df_complete=dfcom, terms=terms, level=conf)
    total = rubin_pool(np.array([[f.c] for f in fits]), np.array([[f.c_var] for f in fits]),
                       df_complete=min(f.c_df for f in fits), terms=["total"], level=conf)
    qbar, T = rubin_covariance(q, np.array([f.vcov for f in fits]))
    return PooledChain(paths, total, qbar, T, float(np.mean([f.sd_x for f in fits])),
                       float(np.mean([f.sd_y for f in fits])), m)


class RubinMI(MediationEstimator):
    """MI by Rubin's rules on the impute stage's completed data sets (``imputations``: an
    :class:`pipeline.stage_io.ImputedSets` or a sequence of DataFrames over the same rows as
    ``wide``); indirect effects by Monte Carlo from ``mc_draws`` draws."""

    method = "mi"

    def __init__(self, *, imputations, mc_draws: int, **common) -> None:
        super().__init__(**common)
        self.imputations, self.mc_draws = imputations, mc_draws

    def _fits(self, spec: MediationSpec, dummies: Mapping[str, list[str]], layout: Layout,
              names: tuple[str, ...]) -> list[ChainFit]:
        fits = []
        for frame in completed_frames(self.imputations, model_columns(spec)):
            Z = derive_frame(frame.reset_index(drop=True), spec, dict(dummies))
            bad = [c for c in Z.columns if Z[c].isna().any()]
            if bad:
                raise ModelError(
                    f"mediation analysis '{spec.name}' (MI, Rubin's rules): the imputed data sets "
                    f"still have missing values in {bad}; add the columns they come from to the "
                    "imputation model (config key missing_data.columns) and rerun impute.")
            Z = np.column_stack([np.ones(len(Z)), Z.to_numpy(dtype=float)])
            check_design(Z, names, spec.name)
            fits.append(fit_chain_ols(Z, layout))
        return fits

    def _fit(self, wide: pd.DataFrame, spec: MediationSpec) -> MediationResult:
        if self.imputations is None:
            raise ModelError(f"mediation analysis '{spec.name}': mediation.mi.method is rubin but "
                             "no imputations were given; run the impute rule.")
        observed = derive_frame(wide[model_columns(spec)].reset_index(drop=True), spec)
        dummies, dropped = varying_levels(observed, spec)
        notes = [f"covariate '{key}': level(s) {levels} absent; their indicator(s) dropped"
                 for key, levels in dropped.items() if levels]
        observed = derive_frame(wide[model_columns(spec)].reset_index(drop=True), spec, dummies)
        names = tuple(observed.columns)
        layout = Layout(n_cov=len(names) - 2 - spec.k, k=spec.k)
        message = self.check_estimable(spec, int(observed.notna().sum().min()),
                                       layout.n_params_y,
                                       "observed values in the least observed variable")
        pairs = theta_names(names, layout)
        pooled = pool_chain(self._fits(spec, dummies, layout, names),
                            [f"{lhs}~{rhs}" for lhs, rhs in pairs], self.conf)
        table = self._table(pooled, names, layout, pairs, spec, len(observed))
        fmi = float(np.nanmax(np.r_[pooled.paths["fmi"], pooled.total["fmi"]]))
        note = METHOD_NOTE.format(m=pooled.m, n=len(observed), pct=f"{100 * self.conf:g}",
                                  R=self.mc_draws, fmi=fmi)
        return self.finish(spec, table, [message, *notes, note],
                           definitions=effect_definitions(names, layout))

    def _table(self, pooled: PooledChain, names: tuple[str, ...], layout: Layout,
               pairs: list[tuple[str, str]], spec: MediationSpec, n: int) -> pd.DataFrame:
        defs = effect_definitions(names, layout)
        draws = draw_parameters(pooled.theta, pooled.T, self.mc_draws,
                                seed_for(self.seed, job_key(spec.name, "rubin_mc")))
        sims = effect_values(coefs_from_theta(draws, layout, pooled.sd_x, pooled.sd_y), layout)
        est = effect_values(coefs_from_theta(pooled.theta, layout, pooled.sd_x, pooled.sd_y),
                            layout)
        se = sims.std(axis=0, ddof=1)
        lo, hi = percentile_interval(sims, self.conf)
        mc_lo, mc_hi = (quantile_mc_se(sims, p) for p in ((1 - self.conf) / 2,
                                                           (1 + self.conf) / 2))
        stat, pval, df = (np.full(len(defs), np.nan) for _ in range(3))
        ci_method = np.full(len(defs), "rubin_monte_carlo", dtype=object)
        where = {pair: i for i, pair in enumerate(pairs)}
        for r, d in enumerate(defs):
            if d.effect_type not in PATH_TYPES:
                continue
            row = (pooled.total if d.effect_type == "total"
                   else pooled.paths).iloc[0 if d.effect_type == "total" else where[(d.lhs, d.rhs)]]
            est[r], se[r], stat[r], pval[r], df[r] = (row["estimate"], row["se"], row["statistic"],
                                                      row["pvalue"], row["df"])
            lo[r], hi[r], mc_lo[r], mc_hi[r] = row["ci_lower"], row["ci_upper"], 0.0, 0.0
            ci_method[r] = "rubin_t"
        return build_table(defs, est, se, stat, pval, lo, hi, ci_method, spec.name, self.method,
                           n, self.mc_draws, df=df, conf=self.conf, mcse_lower=mc_lo,
                           mcse_upper=mc_hi)


def run_analyses_rubin(wide: pd.DataFrame, settings: MediationSettings, seed: int, imputations,
                       processes: int = 1
                       ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """:func:`pipeline.mediation.analysis.run_analyses` with the ``mi`` method by Rubin's rules
    on ``imputations`` (the impute stage's, :func:`pipeline.stage_io.read_imputed`; None: the
    mi rows fail saying so); the other methods as there, in the configured order."""
    ests = estimators(settings, seed, processes=processes)
    if "mi" in ests:
        ests["mi"] = RubinMI(imputations=imputations, mc_draws=settings.mc_draws, seed=seed,
                             conf=settings.bootstrap.conf, min_df=settings.min_df,
                             warn_n=settings.warn_n)
    tables, statuses = {}, {}
    for method, est in ests.items():
        table, status = est.fit_all(wide, settings.analyses)
        tables[method] = table.assign(primary=(method == settings.primary))
        statuses[method] = status.assign(primary=(method == settings.primary))
    return tables, statuses
