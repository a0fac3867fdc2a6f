"""Serial mediation with multiple imputation: bootstrap, then impute ("boot MI").

Bootstrap CIs of indirect effects after multiple imputation are valid only in this order
(Bartlett & Hughes 2020; Schomaker & Heumann 2018): draw B bootstrap samples of the *incomplete*
records, impute each sample M times (M = 2 suffices; von Hippel & Bartlett 2021) and estimate the
chain in every completed sample. The B x M estimates of each effect are pooled by the
von Hippel & Bartlett (2021) one-way ANOVA estimator (:mod:`pipeline.stats.bootmi`): point
estimate = mean of all B x M estimates, Var = (1 + 1/B) sigma2_between + sigma2_within / (BM),
CI = t interval with Satterthwaite df; the Monte Carlo SE of each bound (jackknife over the
bootstrap samples) is reported. The SD of the B per-sample means (the former SE) keeps
sigma2_within / M of imputation noise and overstates the SE; its percentile tails would also
need many more samples. Imputing once and then bootstrapping the completed data would understate
the uncertainty.

The imputation model is injected (``impute_fn(data, m, seed) -> list of m completed DataFrames``),
e.g. :func:`mice_imputer` around ``pipeline.stats.mice.mice`` with the study's imputation model.
Imputation runs once per bootstrap sample (inherently sequential); the B x M regressions are
batched through their Gram matrices.
Change scores and dummies are derived *after* imputation from the imputed wave scores
("impute, then transform").

In R: ``bootImpute::bootMice(data, nBoot = B, nImp = M)`` then ``bootImpute::bootImputeAnalyse``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.mediation.bootstrap import IndexPlan, ResamplePlan, effects_from_grams
from pipeline.mediation.effects import effect_definitions
from pipeline.mediation.estimator import MediationEstimator, MediationResult, job_key
from pipeline.mediation.frame import derive_frame, model_columns
from pipeline.mediation.ols import Layout, Scaling
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table
from pipeline.seeds import seed_for
from pipeline.stats.bootmi import bootmi_pool

__all__ = ["ImputeFn", "mice_imputer", "BootMI"]

#: above this Monte Carlo SE of a bound (relative to the effect's SE) the status asks for more B
MAX_REL_MCSE = 0.125
#: effects whose bound MC error the status message quotes
KEY_EFFECTS = ("total", "direct", "indirect_total", "indirect_specific")
ImputeFn = Callable[[pd.DataFrame, int, int], Sequence[pd.DataFrame]]
METHOD_NOTE = (
    "bootstrap-then-impute (boot MI; Bartlett & Hughes 2020, von Hippel & Bartlett 2021): {B} "
    "bootstrap samples of the {n} incomplete records, each imputed M = {M} times; estimate = mean "
    "of all {BM} estimates; SE and {pct}% t interval from the between/within-sample ANOVA "
    "(von Hippel & Bartlett 2021); Monte Carlo SE of the interval bounds up to {mcse:.2g} "
    "(jackknife over bootstrap samples)"
)


def mice_imputer(mice_fn: Callable, *, iterations: int, **options: object) -> ImputeFn:
    """Adapt ``pipeline.stats.mice.mice(wide, columns, m=, iterations=, seed=, **options)`` to
    :data:`ImputeFn` (``options``: the imputation model, e.g. method, donors, ridge)."""

    def impute(data: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
        res = mice_fn(data, list(data.columns), m=m, iterations=iterations, seed=seed, **options)
        return list(getattr(res, "imputations", res))

    return impute


def _derive_names(spec: MediationSpec) -> dict[str, list[str]]:
    return {k: list(spec.categorical[k])[1:] for k in spec.categorical}


def _scaling(frame: pd.DataFrame) -> Scaling:
    """Centre and scale of the design from the observed values (constant column first)."""
    values = frame.to_numpy(dtype=float)
    center = np.concatenate([[0.0], np.nanmean(values, axis=0)])
    scale = np.concatenate([[1.0], np.nanstd(values, axis=0, ddof=1)])
    return Scaling(center, np.where(scale > 0, scale, 1.0))


class BootMI(MediationEstimator):
    """Bootstrap-then-impute: ``B`` bootstrap samples of all baseline records (incomplete ones
    included), each imputed ``M`` times by ``impute_fn``.

    Resamples use ``seed_for(seed, "mediation/<name>/boot_mi")`` (or an explicit ``plan``) and
    the imputation of sample b ``seed_for(seed, "mediation/<name>/boot_mi/<b>")``.
    """

    method = "mi"

    def __init__(self, *, B: int, M: int, impute_fn: ImputeFn,
                 plan: ResamplePlan | IndexPlan | None = None, **common) -> None:
        super().__init__(**common)
        self.B, self.M, self.impute_fn, self.plan = B, M, impute_fn, plan

    def _grams(self, raw: pd.DataFrame, spec: MediationSpec, plan: ResamplePlan | IndexPlan,
               names: tuple[str, ...], scaling: Scaling, q: int) -> np.ndarray:
        """``(B, M, q, q)`` Gram matrices of the standardised imputed designs."""
        dummies = _derive_names(spec)
        n, M = len(raw), self.M
        grams = np.empty((plan.B, M, q, q))
        b = 0
        for idx_chunk in plan.iter_indices():
            for rows in idx_chunk:  # one imputation run per bootstrap sample (cannot be batched)
                sample = raw.iloc[rows].reset_index(drop=True)
                seed = seed_for(self.seed, job_key(spec.name, f"boot_mi/{b}"))
                imps = list(self.impute_fn(sample, M, seed))
                if len(imps) != M:
                    raise ModelError(f"mediation analysis '{spec.name}': the imputation function "
                                     f"returned {len(imps)} data sets, expected M = {M}.")
                for m, imp in enumerate(imps):
                    Z = derive_frame(imp, spec, dummies).to_numpy(dtype=float)
                    if np.isnan(Z).any():
                        raise ModelError(
                            f"mediation analysis '{spec.name}': imputation left missing values in "
                            f"{[c for c, bad in zip(names, np.isnan(Z).any(axis=0)) if bad]}. "
                            "Include these columns in the imputation model."
                        )
                    Zs = (np.column_stack([np.ones(n), Z]) - scaling.center) / scaling.scale
                    grams[b, m] = Zs.T @ Zs
                b += 1
        return grams

    def _fit(self, wide: pd.DataFrame, spec: MediationSpec) -> MediationResult:
        raw = wide[model_columns(spec)].reset_index(drop=True)
        frame = derive_frame(raw, spec, _derive_names(spec))
        names = tuple(frame.columns)
        layout = Layout(n_cov=len(names) - 2 - spec.k, k=spec.k)
        message = self.check_estimable(spec, int(frame.notna().sum().min()), layout.n_params_y,
                                       "observed values in the least observed variable")
        scaling = _scaling(frame)
        n, q = len(raw), layout.q
        plan = self.plan or ResamplePlan(n, self.B,
                                         seed_for(self.seed, job_key(spec.name, "boot_mi")))
        grams = self._grams(raw, spec, plan, names, scaling, q)
        eff = effects_from_grams(grams.reshape(-1, q, q), np.eye(q) * n, layout, scaling)
        eff = eff.reshape(plan.B, self.M, -1)
        ok = ~np.isnan(eff).any(axis=(1, 2))
        if ok.sum() < max(3, plan.B // 2):
            raise ModelError(f"mediation analysis '{spec.name}': {int((~ok).sum())} of {plan.B} "
                             "bootstrap samples could not be estimated after imputation.")
        pooled = bootmi_pool(eff[ok], self.conf)
        defs = effect_definitions(names, layout)
        with np.errstate(divide="ignore", invalid="ignore"):
            tstat = pooled.est / pooled.se
        table = build_table(defs, pooled.est, pooled.se, tstat, pooled.pvalue, pooled.ci_lower,
                            pooled.ci_upper, "boot_mi_anova_t", spec.name, self.method, n,
                            int(ok.sum()), df=pooled.df, conf=self.conf,
                            mcse_lower=pooled.mcse_lower, mcse_upper=pooled.mcse_upper)
        key = [d.effect_type in KEY_EFFECTS for d in defs]
        mcse = float(np.nanmax(np.r_[pooled.mcse_lower[key], pooled.mcse_upper[key]]))
        note = METHOD_NOTE.format(B=int(ok.sum()), n=n, M=self.M, BM=int(ok.sum()) * self.M,
                                  pct=f"{100 * self.conf:g}", mcse=mcse)
        notes = [message, note]
        rel = np.r_[pooled.mcse_lower[key], pooled.mcse_upper[key]] / np.tile(pooled.se[key], 2)
        if np.nanmax(rel) > MAX_REL_MCSE:
            notes.append(f"the Monte Carlo SE of an interval bound is {np.nanmax(rel):.0%} of the "
                         f"effect's SE (above {MAX_REL_MCSE:.1%}); increase mi.B for stable bounds")
        if pooled.boundary[key].any():
            notes.append("for some effects the between-sample variance was estimated as zero "
                         "(MSB <= MSW); increase mi.B")
        return self.finish(spec, table, notes, eff[ok].mean(axis=1), defs)
