"""Serial mediation with multiple imputation: bootstrap, then impute ("boot MI").

Bootstrap CIs of indirect effects after multiple imputation are valid only in this order
(Bartlett & Hughes 2020; Schomaker & Heumann 2018): draw B bootstrap samples of the *incomplete*
records, impute each sample M times (M = 2 suffices; von Hippel & Bartlett 2021), estimate the
chain in every completed sample, average the M estimates of each bootstrap sample, and take the
percentile interval of the B averages. The point estimate is the mean of all B x M estimates.
Imputing once and then bootstrapping the completed data would understate the uncertainty.

The imputation model is injected (``impute_fn(data, m, seed) -> list of m completed DataFrames``),
e.g. :func:`mice_imputer` around ``pipeline.stats.mice.mice``. Imputation runs once per bootstrap
sample (inherently sequential); the B x M regressions are batched through their Gram matrices.
Change scores and dummies are derived *after* imputation from the imputed wave scores
("impute, then transform").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.mediation.analysis import MediationResult, job_key
from pipeline.mediation.bootstrap import IndexPlan, ResamplePlan, effects_from_grams, percentile_ci
from pipeline.mediation.effects import effect_definitions
from pipeline.mediation.frame import derive_frame, estimability, model_columns
from pipeline.mediation.ols import Layout, Scaling
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table, empty_table, status_row
from pipeline.seeds import seed_for

ImputeFn = Callable[[pd.DataFrame, int, int], Sequence[pd.DataFrame]]
METHOD_NOTE = (
    "bootstrap-then-impute (boot MI; Bartlett & Hughes 2020, von Hippel & Bartlett 2021): {B} "
    "bootstrap samples of the {n} incomplete records, each imputed M = {M} times; estimate = mean "
    "of all {BM} estimates, SE = SD and CI = percentile interval of the {B} per-sample means"
)


def mice_imputer(mice_fn: Callable, iterations: int = 10) -> ImputeFn:
    """Adapt ``pipeline.stats.mice.mice(wide, columns, m=, iterations=, seed=)`` to :data:`ImputeFn`."""

    def impute(data: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
        res = mice_fn(data, list(data.columns), m=m, iterations=iterations, seed=seed)
        return list(getattr(res, "imputations", res))

    return impute


def _derive_names(spec: MediationSpec) -> dict[str, list[str]]:
    return {k: list(spec.categorical[k])[1:] for k in spec.categorical}


def mediation_boot_mi(wide: pd.DataFrame, spec: MediationSpec, impute_fn: ImputeFn, B: int = 500,
                      M: int = 2, seed: int = 0, conf: float = 0.95, min_df: int = 10,
                      warn_n: int = 30, plan: ResamplePlan | IndexPlan | None = None) -> MediationResult:
    """Boot-MI serial mediation of one spec (all baseline records, incomplete ones included).

    ``seed`` is the config seed: resamples use ``seed_for(seed, "mediation/<name>/boot_mi")`` and
    the imputation of sample b ``seed_for(seed, "mediation/<name>/boot_mi/<b>")``.
    """
    raw = wide[model_columns(spec)].reset_index(drop=True)
    dummies = _derive_names(spec)
    frame = derive_frame(raw, spec, dummies)
    names = tuple(frame.columns)
    n_cov = len(names) - 2 - spec.k
    layout = Layout(n_cov=n_cov, k=spec.k)
    n_params = 2 + n_cov + spec.k
    n_obs_min = int(frame.notna().sum().min())
    status, message = estimability(n_obs_min, n_params, min_df, warn_n,
                                   unit="observed values in the least observed variable")
    if status != "ok":
        return MediationResult(empty_table(), status_row(spec.name, "mi", status,
                                                         f"analysis '{spec.name}': {message}"))
    values = frame.to_numpy(dtype=float)
    center = np.concatenate([[0.0], np.nanmean(values, axis=0)])
    scale = np.concatenate([[1.0], np.nanstd(values, axis=0, ddof=1)])
    scaling = Scaling(center, np.where(scale > 0, scale, 1.0))
    n, q = len(raw), layout.q
    plan = plan or ResamplePlan(n, B, seed_for(seed, job_key(spec.name, "boot_mi")))
    grams = np.empty((plan.B, M, q, q))
    b = 0
    for idx_chunk in plan.iter_indices():
        for rows in idx_chunk:  # one imputation run per bootstrap sample (cannot be batched)
            sample = raw.iloc[rows].reset_index(drop=True)
            imps = list(impute_fn(sample, M, seed_for(seed, job_key(spec.name, f"boot_mi/{b}"))))
            if len(imps) != M:
                raise ModelError(f"mediation analysis '{spec.name}': the imputation function returned "
                                 f"{len(imps)} data sets, expected M = {M}.")
            for m, imp in enumerate(imps):
                Z = derive_frame(imp, spec, dummies).to_numpy(dtype=float)
                if np.isnan(Z).any():
                    raise ModelError(
                        f"mediation analysis '{spec.name}': imputation left missing values in "
                        f"{[c for c, bad in zip(names, np.isnan(Z).any(axis=0)) if bad]}. Include these "
                        "columns in the imputation model."
                    )
                Zs = (np.column_stack([np.ones(n), Z]) - scaling.center) / scaling.scale
                grams[b, m] = Zs.T @ Zs
            b += 1
    eff = effects_from_grams(grams.reshape(-1, q, q), np.eye(q) * n, layout, scaling)
    eff = eff.reshape(plan.B, M, -1)
    per_boot = eff.mean(axis=1)
    ok = ~np.isnan(per_boot).any(axis=1)
    if ok.sum() < plan.B // 2:
        raise ModelError(f"mediation analysis '{spec.name}': {int((~ok).sum())} of {plan.B} bootstrap "
                         "samples could not be estimated after imputation.")
    est = eff[ok].reshape(-1, eff.shape[-1]).mean(axis=0)
    se = per_boot[ok].std(axis=0, ddof=1)
    lo, hi = percentile_ci(per_boot[ok], conf)
    defs = effect_definitions(names, layout)
    nan = np.full(len(defs), np.nan)
    table = build_table(defs, est, se, nan, nan, lo, hi, "boot_mi_percentile", spec.name, "mi", n,
                        int(ok.sum()))
    note = METHOD_NOTE.format(B=int(ok.sum()), n=n, M=M, BM=int(ok.sum()) * M)
    if message:
        note = f"{message}; {note}"
    return MediationResult(table, status_row(spec.name, "mi", "ok", note), per_boot[ok], defs)
