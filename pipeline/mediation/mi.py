"""Serial mediation with multiple imputation: bootstrap, then impute ("boot MI").

Bootstrap CIs of indirect effects after multiple imputation are valid only in this order
(Bartlett & Hughes 2020; Schomaker & Heumann 2018): draw B bootstrap samples of the *incomplete*
records, impute each sample M times (M = 2 suffices; von Hippel & Bartlett 2021), estimate the
chain in every completed sample, average the M estimates of each bootstrap sample, and take the
percentile interval of the B averages. The point estimate is the mean of all B x M estimates.
Imputing once and then bootstrapping the completed data would understate the uncertainty.

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
from pipeline.mediation.bootstrap import IndexPlan, ResamplePlan, effects_from_grams, percentile_ci
from pipeline.mediation.effects import effect_definitions
from pipeline.mediation.estimator import MediationEstimator, MediationResult, job_key
from pipeline.mediation.frame import derive_frame, model_columns
from pipeline.mediation.ols import Layout, Scaling
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table
from pipeline.seeds import seed_for

__all__ = ["ImputeFn", "mice_imputer", "BootMI"]

ImputeFn = Callable[[pd.DataFrame, int, int], Sequence[pd.DataFrame]]
METHOD_NOTE = (
    "bootstrap-then-impute (boot MI; Bartlett & Hughes 2020, von Hippel & Bartlett 2021): {B} "
    "bootstrap samples of the {n} incomplete records, each imputed M = {M} times; estimate = mean "
    "of all {BM} estimates, SE = SD and CI = percentile interval of the {B} per-sample means"
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
        per_boot = eff.mean(axis=1)
        ok = ~np.isnan(per_boot).any(axis=1)
        if ok.sum() < plan.B // 2:
            raise ModelError(f"mediation analysis '{spec.name}': {int((~ok).sum())} of {plan.B} "
                             "bootstrap samples could not be estimated after imputation.")
        est = eff[ok].reshape(-1, eff.shape[-1]).mean(axis=0)
        se = per_boot[ok].std(axis=0, ddof=1)
        lo, hi = percentile_ci(per_boot[ok], self.conf)
        defs = effect_definitions(names, layout)
        nan = np.full(len(defs), np.nan)
        table = build_table(defs, est, se, nan, nan, lo, hi, "boot_mi_percentile", spec.name,
                            self.method, n, int(ok.sum()))
        note = METHOD_NOTE.format(B=int(ok.sum()), n=n, M=self.M, BM=int(ok.sum()) * self.M)
        return self.finish(spec, table, [message, note], per_boot[ok], defs)
