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
An imputer with a ``many(data, rows, m, seeds)`` method imputes all bootstrap samples of a chunk
together (:func:`pipeline.stats.mice_batch.mice_many`: MICE's chains of every sample in
lockstep, each sample's imputations exactly those of ``mice`` on it alone); any other imputer is
called once per sample. The B x M regressions are batched through their Gram matrices, and the
Gram matrices of a range of samples (:meth:`BootMI.grams`) can be computed in separate jobs
and pooled (``gram_source``): the same numbers however the samples are split.
Change scores and dummies are derived *after* imputation from the imputed wave scores
("impute, then transform").

In R: ``bootImpute::bootMice(data, nBoot = B, nImp = M)`` then ``bootImpute::bootImputeAnalyse``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
from pipeline.stats.mice import mice
from pipeline.stats.mice_batch import mice_many

__all__ = ["ImputeFn", "GramSource", "Prepared", "mice_imputer", "draw_rows", "chunk_samples",
           "BootMI"]

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


class _MiceImputer:
    """:data:`ImputeFn` around a ``mice``-like function; with ``pipeline.stats.mice.mice`` also
    ``many`` (every sample of a chunk in lockstep, the same imputations)."""

    def __init__(self, mice_fn: Callable, iterations: int, options: dict) -> None:
        self.mice_fn, self.iterations, self.options = mice_fn, iterations, options
        if mice_fn is not mice:
            self.many = None

    def __call__(self, data: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
        res = self.mice_fn(data, list(data.columns), m=m, iterations=self.iterations, seed=seed,
                           **self.options)
        return list(getattr(res, "imputations", res))

    def many(self, data: pd.DataFrame, rows: np.ndarray, m: int,
             seeds: Sequence[int]) -> pd.DataFrame:
        """The ``m`` completed data sets of every sample ``data.iloc[rows[s]]``, stacked."""
        return mice_many(data, rows, list(data.columns), m=m, iterations=self.iterations,
                         seeds=seeds, **self.options)


def mice_imputer(mice_fn: Callable, *, iterations: int, **options: object) -> ImputeFn:
    """Adapt ``pipeline.stats.mice.mice(wide, columns, m=, iterations=, seed=, **options)`` to
    :data:`ImputeFn` (``options``: the imputation model, e.g. method, donors, ridge)."""
    return _MiceImputer(mice_fn, iterations, dict(options))


def _derive_names(spec: MediationSpec) -> dict[str, list[str]]:
    return {k: list(spec.categorical[k])[1:] for k in spec.categorical}


def _scaling(frame: pd.DataFrame) -> Scaling:
    """Centre and scale of the design from the observed values (constant column first)."""
    values = frame.to_numpy(dtype=float)
    center = np.concatenate([[0.0], np.nanmean(values, axis=0)])
    scale = np.concatenate([[1.0], np.nanstd(values, axis=0, ddof=1)])
    return Scaling(center, np.where(scale > 0, scale, 1.0))


#: cells of the completed data imputed together (samples x M x rows x columns): a memory bound
#: only (a sample's numbers do not depend on the samples it is imputed with). About 0.1 kB of
#: the job's memory per cell (the chains' design, their plan, the stacked completed data and
#: the standardised designs): 4 M cells ~ 400 MB at most, 2 chunks of 250 samples per demo block
CHUNK_CELLS = 1 << 22
#: ``gram_source(analysis, B, M, q) -> (B, M, q, q)`` Gram matrices computed elsewhere
GramSource = Callable[[str, int, int, int], np.ndarray]


@dataclass(frozen=True)
class Prepared:
    """What every range of bootstrap samples of one analysis shares."""

    raw: pd.DataFrame
    names: tuple[str, ...]
    layout: Layout
    scaling: Scaling
    plan: ResamplePlan | IndexPlan
    message: str


def draw_rows(plan: ResamplePlan | IndexPlan, lo: int, hi: int) -> np.ndarray:
    """Row indices ``(hi - lo, n)`` of bootstrap samples ``lo..hi-1`` of ``plan`` (only the
    seeded blocks holding them are drawn)."""
    if isinstance(plan, IndexPlan):
        return np.asarray(plan.idx[lo:hi], dtype=np.intp)
    if hi <= lo:
        return np.empty((0, plan.n), dtype=np.intp)
    block = plan.rows_per_block
    j0, j1 = lo // block, (hi - 1) // block
    idx = np.concatenate([plan.index_block(j) for j in range(j0, j1 + 1)])
    return idx[lo - j0 * block:hi - j0 * block].astype(np.intp)


def chunk_samples(S: int, cells: int, budget: int | None = None) -> int:
    """Samples per chunk when ``S`` samples of ``cells`` cells each are imputed in chunks of
    at most ``budget`` cells (:data:`CHUNK_CELLS`; at least one sample): the fewest chunks,
    of equal size (the last may be smaller), so no chunk is a small remainder whose groups of
    chains cost the sampler's fixed costs for little work."""
    budget = CHUNK_CELLS if budget is None else budget
    chunks = -(-S * max(cells, 1) // max(budget, 1)) if S > 0 else 1
    chunks = max(1, min(chunks, max(S, 1)))
    return max(1, -(-S // chunks))


class BootMI(MediationEstimator):
    """Bootstrap-then-impute: ``B`` bootstrap samples of all baseline records (incomplete ones
    included), each imputed ``M`` times by ``impute_fn``.

    Resamples use ``seed_for(seed, "mediation/<name>/boot_mi")`` (or an explicit ``plan``) and
    the imputation of sample b ``seed_for(seed, "mediation/<name>/boot_mi/<b>")``. With
    ``gram_source`` (or an imputer with a ``gram_source`` method,
    :class:`pipeline.mediation.parts.PartsImputer`) the Gram matrices of the samples come from
    there (computed by :meth:`grams` in other jobs) instead of being computed here.
    """

    method = "mi"

    def __init__(self, *, B: int, M: int, impute_fn: ImputeFn,
                 plan: ResamplePlan | IndexPlan | None = None,
                 gram_source: GramSource | None = None, **common) -> None:
        super().__init__(**common)
        self.B, self.M, self.impute_fn, self.plan = B, M, impute_fn, plan
        self.gram_source = gram_source

    def prepare(self, wide: pd.DataFrame, spec: MediationSpec) -> Prepared:
        """The analysis's columns, design layout and scaling and the resampling plan;
        DataError when the analysis is not estimable."""
        raw = wide[model_columns(spec)].reset_index(drop=True)
        frame = derive_frame(raw, spec, _derive_names(spec))
        names = tuple(frame.columns)
        layout = Layout(n_cov=len(names) - 2 - spec.k, k=spec.k)
        message = self.check_estimable(spec, int(frame.notna().sum().min()), layout.n_params_y,
                                       "observed values in the least observed variable")
        plan = self.plan or ResamplePlan(len(raw), self.B,
                                         seed_for(self.seed, job_key(spec.name, "boot_mi")))
        return Prepared(raw, names, layout, _scaling(frame), plan, message)

    def grams(self, p: Prepared, spec: MediationSpec, lo: int = 0,
              hi: int | None = None) -> np.ndarray:
        """``(hi - lo, M, q, q)`` Gram matrices of the standardised imputed designs of
        bootstrap samples ``lo..hi-1`` (all by default); the same numbers for a sample
        whatever range it is computed in."""
        hi = p.plan.B if hi is None else hi
        n, q = len(p.raw), p.layout.q
        out = np.empty((hi - lo, self.M, q, q))
        step = chunk_samples(hi - lo, n * self.M * p.raw.shape[1])
        for a in range(lo, hi, step):
            b = min(hi, a + step)
            out[a - lo:b - lo] = self._chunk(p, spec, draw_rows(p.plan, a, b), a)
        return out

    def _seed(self, spec: MediationSpec, b: int) -> int:
        return seed_for(self.seed, job_key(spec.name, f"boot_mi/{b}"))

    def _chunk(self, p: Prepared, spec: MediationSpec, rows: np.ndarray, b0: int) -> np.ndarray:
        """Gram matrices ``(samples, M, q, q)`` of the samples ``rows`` (the first is b0)."""
        dummies, M, (S, n) = _derive_names(spec), self.M, rows.shape
        many = getattr(self.impute_fn, "many", None)
        if many is not None:
            long = many(p.raw, rows, M, [self._seed(spec, b0 + s) for s in range(S)])
        else:  # any other imputer: one call per sample
            parts = []
            for s in range(S):
                imps = list(self.impute_fn(p.raw.iloc[rows[s]].reset_index(drop=True), M,
                                           self._seed(spec, b0 + s)))
                if len(imps) != M:
                    raise ModelError(f"mediation analysis '{spec.name}': the imputation "
                                     f"function returned {len(imps)} data sets, expected M = "
                                     f"{M}.")
                parts += imps
            long = pd.concat(parts, ignore_index=True)
        Z = derive_frame(long.reset_index(drop=True), spec, dummies).to_numpy(dtype=float)
        del long  # the chunk's largest arrays are held one at a time (issue 15: memory)
        Z = Z.reshape(S * M, n, -1)
        bad = np.isnan(Z).any(axis=1)
        if bad.any():
            first = int(np.flatnonzero(bad.any(axis=1))[0])
            raise ModelError(
                f"mediation analysis '{spec.name}': imputation left missing values in "
                f"{[c for c, b in zip(p.names, bad[first], strict=True) if b]}. "
                "Include these columns in the imputation model."
            )
        # the constant column and Z, then centred and scaled in place (the same numbers as
        # (column_stack - center) / scale, without two more copies of the chunk)
        Zs = np.empty((S * M * n, Z.shape[2] + 1))
        Zs[:, 0] = 1.0
        Zs[:, 1:] = Z.reshape(S * M * n, -1)
        del Z
        Zs -= p.scaling.center
        Zs /= p.scaling.scale
        Zs = Zs.reshape(S * M, n, -1)
        return (Zs.transpose(0, 2, 1) @ Zs).reshape(S, M, p.layout.q, p.layout.q)

    def _fit(self, wide: pd.DataFrame, spec: MediationSpec) -> MediationResult:
        p = self.prepare(wide, spec)
        names, layout, plan, n, q = p.names, p.layout, p.plan, len(p.raw), p.layout.q
        message = p.message
        source = self.gram_source or getattr(self.impute_fn, "gram_source", None)
        grams = source(spec.name, plan.B, self.M, q) if source else self.grams(p, spec)
        eff = effects_from_grams(grams.reshape(-1, q, q), np.eye(q) * n, layout, p.scaling)
        eff = eff.reshape(plan.B, self.M, -1)
        ok = ~np.isnan(eff).any(axis=(1, 2))
        if ok.sum() < max(3, plan.B // 2):
            raise ModelError(f"mediation analysis '{spec.name}': {int((~ok).sum())} of {plan.B} "
                             "bootstrap samples could not be estimated after imputation.")
        # lazy: scipy.stats (0.7 s of imports) is for the pooling job, not the boot-MI blocks
        from pipeline.stats.bootmi import bootmi_pool

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
