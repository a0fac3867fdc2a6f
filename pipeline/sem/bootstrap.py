"""Case-resampling bootstrap of a fitted SEM (lavaan ``se = "bootstrap"`` / ``bootstrapLavaan``).

What lavaan 0.6 does, and so do we: draw B resamples of the n analysed cases (cases with no data
on any model variable are not analysed), refit the model to each starting from the original
estimates, drop the draws that fail (no convergence), and report

* SE of a free parameter: SD of its draws with divisor B_ok (lavaan ``lav_model_nvcov_bootstrap``
  scales ``cov`` by ``(B - 1) / B``); SE of a ``:=`` parameter: SD with divisor B_ok - 1
  (``lav_model_vcov_se`` takes ``cov`` of the defined draws);
* percentile interval: lavaan's ``parameterEstimates(boot.ci.type = "perc")``, i.e. boot's
  ``norm.inter`` (order statistics at rank (B + 1) alpha, interpolated on the normal scale);
* draws with an improper solution (negative variance, non-positive-definite latent covariances)
  are kept and counted, as lavaan keeps and counts them.

Why it is fast (B = 2000 of the demo's 90-parameter FIML mediation in about 6 s of CPU, i.e.
a few seconds on two cores, where lavaan needs about a second of CPU per draw; a 2 x 3 RI-CLPM
in about 1 s of CPU; ``benchmarks/bench_fiml_bootstrap.py``): FIML's log-likelihood is a sum
over cases, so a resample is a vector of integer case weights; the missing-data patterns of a
resample are those of the sample, and all draws of a chunk are refitted together, in lock step,
by :mod:`pipeline.sem.bootstrap_refit` (weighted pattern statistics by one matrix product per
pattern, quasi-Newton from the sample's curvature).

Models: any model :func:`pipeline.sem.fit.fit_sem` fits, in ``sem()`` or ``lavaan()`` mode -
latent variables with fixed loadings (the RI-CLPM's random intercepts), equality constraints
by shared labels (one free parameter, so every labelled row carries the same draws), ``:=``
parameters. Held to lavaan's ``se = "bootstrap"`` within Monte Carlo error on committed fixtures
(``tests/sem/test_bootstrap_lavaan.py``: FIML serial mediations and the pipeline's RI-CLPM,
free and stationary).

Randomness: draws come in blocks of ``BLOCK``; block j uses ``SeedSequence(seed, spawn_key=(j,))``
(``seed`` from :func:`pipeline.seeds.seed_for`), and each block is computed the same way
whatever the chunking (the refits are per draw, and the pattern statistics' matrix products are
taken block by block, since BLAS may round a row differently with the number of rows), so
results are byte-identical across runs, chunk sizes and numbers of processes.

In R: ``lavaan::sem(..., se = "bootstrap", bootstrap = B)`` then
``parameterEstimates(fit, boot.ci.type = "perc")``.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.sem.bootstrap_refit import RefitModel, pattern_stats, refit_draws
from pipeline.sem.defined import compile_definitions, parse_expression
from pipeline.sem.estimate import prepare_data
from pipeline.sem.fiml_batch import implied_batch
from pipeline.sem.partable import ParTable, build_partable
from pipeline.sem.ram import build_ram
from pipeline.sem.result import SEMResult
from pipeline.sem.standardize import standardized_solution
from pipeline.sem.syntax import parse_model
from pipeline.stats.distributions import norm_ppf, norm_sf

__all__ = ["BLOCK", "SEMBootstrap", "bootstrap_sem", "defined_draws", "norm_inter",
           "resample_block"]

BLOCK = 50           # draws per seeded block
CHUNK_DOUBLES = 4_000_000  # per chunk: draws x n_free^2 (the per-draw curvature), ~32 MB
MAX_CHUNK_BLOCKS = 10      # at most 500 draws per chunk (work for 2+ processes at B >= 1000)


@dataclass
class SEMBootstrap:
    """Bootstrap of a fitted SEM. ``estimates``: the fit's table with bootstrap ``se``, ``z``,
    ``pvalue``, percentile ``ci_lower``/``ci_upper`` and ``std_all_se`` (delta method with the
    bootstrap covariance, as lavaan's ``standardizedSolution``)."""

    estimates: pd.DataFrame
    draws: np.ndarray            # (B_ok, n_free) free parameters of the successful draws
    defined: np.ndarray          # (B_ok, n_defined) := parameters of the successful draws
    free_names: list[str]
    defined_names: list[str]
    B: int
    n_failed: int
    n_improper: int
    conf: float
    message: str = ""
    failed_draws: list[int] = field(default_factory=list)

    @property
    def B_ok(self) -> int:
        return self.B - self.n_failed


def resample_block(seed: int, j: int, n: int, B: int, block: int = BLOCK) -> np.ndarray:
    """Row indices (0..n-1) of the draws of block ``j``: shape (min(block, B - j block), n)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(j,)))
    return rng.integers(0, n, size=(min(block, B - j * block), n))


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    bc = idx.shape[0]
    flat = (idx + (np.arange(bc) * n)[:, None]).reshape(-1)
    return np.bincount(flat, minlength=bc * n).reshape(bc, n).astype(float)


def _setup(model: str, data: pd.DataFrame, fit: SEMResult) -> tuple[ParTable, RefitModel]:
    """Rebuild the fitted model's parameter table, RAM matrices and pattern data."""
    opts = fit.options
    pt = build_partable(parse_model(model, fit.name), mode=opts.get("mode", "sem"),
                        meanstructure=True, int_ov_free=opts.get("int_ov_free", True),
                        model=fit.name)
    pdat = prepare_data(data, pt.ov_names, opts.get("missing", "ml"), fit.name)
    mod = RefitModel.build(build_ram(pt), pdat, fit.theta)
    if mod.metric is None:
        raise ModelError(f"{fit.name}: the information matrix at the estimates is not positive "
                         "definite, so the model cannot be bootstrapped; fix the identification "
                         "problem reported by the fit first.")
    return pt, mod


def chunk_blocks(n_free: int) -> int:
    """Blocks refitted together: as many as the memory budget allows (depends on the model
    only, never on the number of processes, so the results do not either)."""
    return int(np.clip(CHUNK_DOUBLES // (BLOCK * n_free * n_free), 1, MAX_CHUNK_BLOCKS))


_WORK: dict = {}  # the model of the running bootstrap, inherited by forked workers


def _fit_chunk(blocks: range) -> np.ndarray:
    """Refit the draws of whole seeded blocks; NaN rows = failed (no convergence, or a variable
    observed in fewer than two resampled cases)."""
    mod, seed, B = _WORK["mod"], _WORK["seed"], _WORK["B"]
    n = mod.pdat.n_obs
    observed = np.zeros((n, mod.pdat.p))
    for pat in mod.pdat.patterns:
        observed[np.ix_(pat.rows, pat.obs)] = 1.0
    counts = _counts(np.concatenate([resample_block(seed, j, n, B) for j in blocks]), n)
    theta, done = refit_draws(mod, pattern_stats(mod, counts))
    theta[~(done & (counts @ observed >= 2).all(axis=1))] = np.nan
    return theta


def _fit_draws(mod: RefitModel, seed: int, B: int, processes: int) -> np.ndarray:
    """(B, n_free) refitted draws, chunk by chunk, in ``processes`` forked workers if > 1."""
    per = chunk_blocks(mod.theta.size)
    n_blocks = -(-B // BLOCK)
    chunks = [range(s, min(n_blocks, s + per)) for s in range(0, n_blocks, per)]
    _WORK.update(mod=mod, seed=seed, B=B)
    try:
        if processes > 1 and len(chunks) > 1 and "fork" in mp.get_all_start_methods():
            with ProcessPoolExecutor(min(processes, len(chunks)),
                                     mp_context=mp.get_context("fork")) as pool:
                parts = list(pool.map(_fit_chunk, chunks))
        else:
            parts = [_fit_chunk(c) for c in chunks]
    finally:
        _WORK.clear()
    return np.concatenate(parts)


# ---- summaries ---------------------------------------------------------------------------------
def _label_values(pt: ParTable, theta: np.ndarray) -> dict[str, np.ndarray]:
    """Each parameter label's value for every draw (first row carrying the label)."""
    tab = pt.table
    out: dict[str, np.ndarray] = {}
    for r in tab.itertuples():
        if r.label and r.label not in out:
            out[r.label] = (theta[:, r.free - 1] if r.free > 0
                            else np.full(theta.shape[0], float(r.ustart)))
    return out


def defined_draws(pt: ParTable, theta: np.ndarray, name: str = "model") -> np.ndarray:
    """``(B, n_defined)`` values of the ``:=`` parameters for a stack of parameter vectors (the
    expressions are arithmetic, so they are evaluated on whole columns at once)."""
    env = _label_values(pt, theta)
    out = np.empty((theta.shape[0], len(pt.definitions)))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, d in enumerate(pt.definitions):
            code = compile(parse_expression(d.expr, name, d.line), f"<{d.name}>", "eval")
            env[d.name] = out[:, k] = eval(code, {"__builtins__": {}}, env)
    return out


def norm_inter(draws: np.ndarray, alpha: np.ndarray | list[float]) -> np.ndarray:
    """boot's ``norm.inter`` (used by lavaan's percentile interval) for each column.

    With R finite draws, rank rk = (R + 1) alpha and k = trunc(rk): the k-th order statistic if
    rk is a whole number, the 1st / R-th if k = 0 / R, else t_(k) + (z_alpha - z_{k/(R+1)}) /
    (z_{(k+1)/(R+1)} - z_{k/(R+1)}) (t_(k+1) - t_(k)), z = the normal quantile function.
    Returns ``(len(alpha), n_columns)``; non-finite draws are skipped column by column.
    """
    alpha = np.asarray(alpha, dtype=float)
    finite = np.isfinite(draws)
    if not finite.all():
        cols = [norm_inter(draws[finite[:, c], c][:, None], alpha) for c in range(draws.shape[1])]
        return np.concatenate(cols, axis=1) if cols else np.empty((alpha.size, 0))
    R = draws.shape[0]
    if R == 0:
        return np.full((alpha.size, draws.shape[1]), np.nan)
    t = np.sort(draws, axis=0)
    rk = (R + 1) * alpha
    k = np.trunc(rk).astype(int)
    inner = (k != rk) & (k > 0) & (k < R)
    kk = np.clip(k, 1, R)
    out = t[kk - 1].copy()
    if inner.any():
        ki = k[inner]
        z0, z1 = norm_ppf(ki / (R + 1)), norm_ppf((ki + 1) / (R + 1))
        frac = ((norm_ppf(alpha[inner]) - z0) / (z1 - z0))[:, None]
        out[inner] = t[ki - 1] + frac * (t[ki] - t[ki - 1])
    return out


def _improper(mod: RefitModel, theta: np.ndarray) -> np.ndarray:
    """Draws with a negative variance or a non-positive-definite latent covariance matrix."""
    ram = mod.ram
    var_rows = (ram.kind == 1) & (ram.row_i == ram.row_j)
    bad = (theta[:, ram.row_par[var_rows]] < 0).any(axis=1)
    if len(ram.names) > ram.p and theta.shape[0]:
        _, omega, _ = implied_batch(ram, theta)
        lv = omega[:, ram.p:, ram.p:]
        bad |= np.linalg.eigvalsh(lv)[:, 0] < -1e-10 * np.maximum(1.0, np.abs(lv).max(axis=(1, 2)))
    return bad


def _table(fit: SEMResult, pt: ParTable, mod: RefitModel, draws: np.ndarray, dvals: np.ndarray,
           conf: float) -> pd.DataFrame:
    """The fit's estimates with lavaan's bootstrap SEs and percentile intervals."""
    nb = draws.shape[0]
    alpha = np.array([(1 - conf) / 2, (1 + conf) / 2])
    se_free = draws.std(axis=0, ddof=0)
    ci_free = norm_inter(draws, alpha)
    se_def = dvals.std(axis=0, ddof=1) if nb > 1 else np.full(dvals.shape[1], np.nan)
    ci_def = norm_inter(dvals, alpha)
    tab = pt.table
    free_of = {(r.lhs, r.op, r.rhs): r.free for r in tab.itertuples()}
    def_of = {d.name: k for k, d in enumerate(pt.definitions)}
    est = fit.estimates.copy()
    se, lo, hi = (est["se"].to_numpy(dtype=float).copy() for _ in range(3))
    for i, r in enumerate(est.itertuples()):
        if r.op == ":=":
            k = def_of[r.lhs]
            se[i], lo[i], hi[i] = se_def[k], ci_def[0, k], ci_def[1, k]
        elif free_of.get((r.lhs, r.op, r.rhs), 0) > 0:
            k = free_of[(r.lhs, r.op, r.rhs)] - 1
            se[i], lo[i], hi[i] = se_free[k], ci_free[0, k], ci_free[1, k]
        else:
            se[i], lo[i], hi[i] = 0.0, r.est, r.est
    is_free = se > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(is_free, est["est"].to_numpy(dtype=float) / se, np.nan)
    est["se"], est["z"] = se, z
    est["pvalue"] = 2 * norm_sf(np.abs(z))
    est["ci_lower"], est["ci_upper"] = lo, hi
    vcov = np.cov(draws, rowvar=False, ddof=0) if nb > 1 else None
    _, std_se = standardized_solution(mod.ram, tab, mod.theta, vcov,
                                      compile_definitions(pt.definitions, fit.name))
    if len(std_se) == len(est):
        est["std_all_se"] = std_se
    return est


def bootstrap_sem(model: str, data: pd.DataFrame, fit: SEMResult, *, B: int, seed: int,
                  conf: float = 0.95, processes: int = 1) -> SEMBootstrap:
    """Case-resampling bootstrap of ``fit`` (the result of ``fit_sem(model, data, ...)``).

    ``seed``: e.g. ``pipeline.seeds.seed_for(cfg.seed, "<wing>/<analysis>/bootstrap")``;
    ``processes``: worker processes (the rule's threads); results do not depend on it. Raises
    :class:`ModelError` if the fit has no converged estimates or if more than half of the draws
    fail; fewer failures are dropped and reported in ``message`` (as lavaan does).
    """
    if B < 2:
        raise ModelError(f"{fit.name}: the bootstrap needs B >= 2 resamples, got {B}.")
    if fit.theta is None or not fit.converged:
        raise ModelError(f"{fit.name}: the model has no converged estimates (status "
                         f"{fit.status}), so it cannot be bootstrapped; fix the fit first.")
    pt, mod = _setup(model, data, fit)
    draws = _fit_draws(mod, seed, B, processes)
    failed = np.isnan(draws).any(axis=1)
    n_failed = int(failed.sum())
    if n_failed > B // 2:
        raise ModelError(f"{fit.name}: {n_failed} of {B} bootstrap resamples could not be "
                         "estimated (no convergence); the model is too fragile for these data. "
                         "Simplify the model or use se: robust.")
    ok = draws[~failed]
    dvals = defined_draws(pt, ok, fit.name)
    n_improper = int(_improper(mod, ok).sum())
    notes = []
    if n_failed:
        notes.append(f"{n_failed} of {B} bootstrap resamples did not converge and were dropped")
    if n_improper:
        notes.append(f"{n_improper} of {B - n_failed} bootstrap solutions are improper "
                     "(negative variance or non-positive-definite latent covariances); kept, "
                     "as lavaan keeps them")
    message = f"{fit.name}: " + "; ".join(notes) + "." if notes else ""
    return SEMBootstrap(estimates=_table(fit, pt, mod, ok, dvals, conf), draws=ok, defined=dvals,
                        free_names=list(fit.free_names),
                        defined_names=[d.name for d in pt.definitions], B=B,
                        n_failed=n_failed, n_improper=n_improper, conf=conf,
                        message=message, failed_draws=np.flatnonzero(failed).tolist())
