"""Vectorised case-resampling bootstrap of the serial-mediation effects.

No Python loop per draw: a block of draws becomes a ``(B_c, n)`` matrix ``W`` of resampling
counts (frequency weights), and the Gram matrices of all draws are one matrix product
``W @ P`` where ``P`` (n x q(q+1)/2) holds the pairwise column products of the standardised
design. All equations of every draw are then solved with batched ``numpy.linalg.solve``
(:func:`pipeline.mediation.ols.chain_coefficients`). Cost and memory are linear in n; draws are
processed in chunks so memory stays bounded for n up to 100 000 and beyond.

Resampling is defined by a :class:`ResamplePlan` (or an explicit index matrix, :class:`IndexPlan`):
draws come in fixed blocks, block j seeded by ``SeedSequence(seed, spawn_key=(j,))``, so the same
plan gives the same draws to every estimator (complete-case OLS, bootstrap-then-impute) whatever
the chunk size.

Intervals: percentile (default; Tibbe & Montoya 2022 recommend it over bias-corrected intervals
for indirect effects) and BCa (Efron & Tibshirani 1993, ch. 14) with the acceleration from the
jackknife, computed loop-free by rank-one downdates ``G - z_i z_i'`` of the Gram matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import stats

from pipeline.errors import ModelError
from pipeline.mediation.effects import effect_values
from pipeline.mediation.ols import Layout, Scaling, chain_coefficients, gram

BLOCK = 50                 # draws per seeded block
CHUNK_ELEMENTS = 4_000_000  # counts-matrix entries per chunk (B_c * n)
SINGULAR_TOL = 1e-12


@dataclass(frozen=True)
class ResamplePlan:
    """B resamples of n rows with replacement, seeded block by block (chunk-size invariant)."""

    n: int
    B: int
    seed: int
    block: int = BLOCK

    def index_block(self, j: int) -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(j,)))
        size = min(self.block, self.B - j * self.block)
        return rng.integers(0, self.n, size=(size, self.n))

    def iter_indices(self, chunk_draws: int | None = None) -> Iterator[np.ndarray]:
        """Index matrices of consecutive chunks of draws (about ``chunk_draws`` each)."""
        per = max(1, (chunk_draws or default_chunk(self.n)) // self.block)
        n_blocks = -(-self.B // self.block)
        for start in range(0, n_blocks, per):
            stop = min(n_blocks, start + per)
            yield np.concatenate([self.index_block(j) for j in range(start, stop)])

    def indices(self) -> np.ndarray:
        """The full ``(B, n)`` index matrix (small n only)."""
        return np.concatenate(list(self.iter_indices(self.B)))


@dataclass(frozen=True)
class IndexPlan:
    """An explicit ``(B, n)`` index matrix, e.g. to reproduce another program's resamples."""

    idx: np.ndarray

    @property
    def n(self) -> int:
        return self.idx.shape[1]

    @property
    def B(self) -> int:
        return self.idx.shape[0]

    def iter_indices(self, chunk_draws: int | None = None) -> Iterator[np.ndarray]:
        step = chunk_draws or default_chunk(self.n)
        for s in range(0, self.B, step):
            yield self.idx[s:s + step]

    def indices(self) -> np.ndarray:
        return self.idx


def default_chunk(n: int) -> int:
    return max(BLOCK, CHUNK_ELEMENTS // max(n, 1) // BLOCK * BLOCK)


def counts_from_indices(idx: np.ndarray, n: int) -> np.ndarray:
    """``(B_c, n)`` resampling counts (how often each row is drawn) of an index matrix."""
    bc = idx.shape[0]
    flat = (idx + (np.arange(bc) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=bc * n).reshape(bc, n).astype(float)


def weighted_grams(Zs: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``Z' diag(w_b) Z`` for every row ``w_b`` of ``counts``: one BLAS product ``counts @ P``."""
    q = Zs.shape[1]
    iu, ju = np.triu_indices(q)
    flat = counts @ (Zs[:, iu] * Zs[:, ju])
    G = np.empty((counts.shape[0], q, q))
    G[:, iu, ju] = flat
    G[:, ju, iu] = flat
    return G


def singular_draws(G: np.ndarray) -> np.ndarray:
    """True where the regressor block of a Gram matrix is (numerically) singular, e.g. a dummy
    covariate that is constant in a resample; such draws are discarded, as PROCESS does.

    Criterion: det of the regressor block scaled to unit diagonal, i.e. prod_j (1 - R^2_j | earlier
    columns), below ``SINGULAR_TOL`` (one batched LU; much cheaper than eigenvalues).
    """
    R = G[..., :-1, :-1]
    dg = np.sqrt(np.clip(np.diagonal(R, axis1=-2, axis2=-1), 1e-300, None))
    sign, logdet = np.linalg.slogdet(R / (dg[..., :, None] * dg[..., None, :]))
    return (sign <= 0) | (logdet < np.log(SINGULAR_TOL))


def effects_from_grams(G: np.ndarray, G_ref: np.ndarray, layout: Layout,
                       scaling: Scaling) -> np.ndarray:
    """Effects for a stack of Gram matrices; singular ones give a row of NaN."""
    bad = singular_draws(G)
    if bad.any():
        G = G.copy()
        G[bad] = G_ref
    out = effect_values(chain_coefficients(G, layout, scaling), layout)
    out[bad] = np.nan
    return out


def bootstrap_draws(Zs: np.ndarray, layout: Layout, scaling: Scaling,
                    plan: ResamplePlan | IndexPlan, chunk_draws: int | None = None,
                    analysis: str = "mediation") -> tuple[np.ndarray, int]:
    """``(B, n_effects)`` bootstrap replicates (failed draws removed) and the number removed."""
    if plan.n != Zs.shape[0]:
        raise ValueError(f"plan is for n = {plan.n} rows, design has {Zs.shape[0]}")
    G_ref = gram(Zs)
    parts = [
        effects_from_grams(weighted_grams(Zs, counts_from_indices(idx, plan.n)), G_ref, layout,
                           scaling)
        for idx in plan.iter_indices(chunk_draws)
    ]
    draws = np.concatenate(parts)
    ok = ~np.isnan(draws).any(axis=1)
    n_failed = int((~ok).sum())
    if n_failed > plan.B // 2:
        raise ModelError(
            f"mediation analysis '{analysis}': {n_failed} of {plan.B} bootstrap resamples could "
            "not be "
            "estimated (a predictor was constant or collinear in the resample). Remove rare "
            "categorical covariates or sparse variables, or increase the sample."
        )
    return draws[ok], n_failed


def jackknife_effects(Zs: np.ndarray, layout: Layout, scaling: Scaling,
                      chunk: int = 20_000) -> np.ndarray:
    """``(n, n_effects)`` leave-one-out estimates via ``G - z_i z_i'`` (no refit per case)."""
    G = gram(Zs)
    out = []
    for s in range(0, Zs.shape[0], chunk):
        z = Zs[s:s + chunk]
        Gi = G[None] - z[:, :, None] * z[:, None, :]
        out.append(effects_from_grams(Gi, G, layout, scaling))
    return np.concatenate(out)


def _column_quantiles(draws: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Quantile ``probs[e]`` of column e, linear interpolation (R type 7, numpy default)."""
    srt = np.sort(draws, axis=0)
    B = srt.shape[0]
    h = np.clip(probs, 0, 1) * (B - 1)
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, B - 1)
    frac = h - lo
    vlo = np.take_along_axis(srt, lo[None], axis=0)[0]
    vhi = np.take_along_axis(srt, hi[None], axis=0)[0]
    return vlo + frac * (vhi - vlo)


def percentile_ci(draws: np.ndarray, conf: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of every column (as lavaan ``boot.ci.type = "perc"`` and PROCESS)."""
    alpha = 1 - conf
    lo, hi = np.percentile(draws, [100 * alpha / 2, 100 * (1 - alpha / 2)], axis=0)
    return lo, hi


def bca_ci(est: np.ndarray, draws: np.ndarray, jack: np.ndarray,
           conf: float) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated interval (Efron & Tibshirani 1993, eq. 14.9-14.15).

    z0 = Phi^-1(#{theta*_b < theta_hat} / B) (clipped to [1/B, 1 - 1/B]);
    a = sum(u^3) / (6 (sum u^2)^1.5), u_i = mean(theta_(.)) - theta_(i) from the jackknife;
    bounds = quantiles at Phi(z0 + (z0 + z_alpha) / (1 - a (z0 + z_alpha))).
    """
    B = draws.shape[0]
    p0 = np.clip((draws < est).mean(axis=0), 1 / B, 1 - 1 / B)
    z0 = stats.norm.ppf(p0)
    a = acceleration(jack)
    alpha = 1 - conf
    bounds = []
    for zq in stats.norm.ppf([alpha / 2, 1 - alpha / 2]):
        with np.errstate(divide="ignore", invalid="ignore"):
            p = stats.norm.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)))
        bounds.append(_column_quantiles(draws, np.nan_to_num(p, nan=0.5)))
    return bounds[0], bounds[1]


def acceleration(jack: np.ndarray, center: np.ndarray | None = None) -> np.ndarray:
    """Jackknife acceleration per column (cases whose leave-one-out fit failed are skipped).

    ``center`` None: u_i = mean of the jackknife values - theta_(i) (Efron & Tibshirani 1993,
    eq. 14.15); pass the full-sample estimate to reproduce R ``boot::empinf(type = "jack")``.
    """
    u = (np.nanmean(jack, axis=0) if center is None else center) - jack
    num = np.nansum(u**3, axis=0)
    den = 6 * np.nansum(u**2, axis=0) ** 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, 0.0)


def quantile_mc_se(draws: np.ndarray, p: float, h: float = 0.01) -> np.ndarray:
    """Monte-Carlo SE of the p-quantile of B draws: sqrt(p(1-p)/B) / f(q_p), with 1/f estimated by
    the difference quotient (q_{p+h} - q_{p-h}) / 2h of the draws themselves."""
    B = draws.shape[0]
    qlo, qhi = np.percentile(draws, [100 * max(p - h, 0), 100 * min(p + h, 1)], axis=0)
    return np.sqrt(p * (1 - p) / B) * (qhi - qlo) / (min(p + h, 1) - max(p - h, 0))
