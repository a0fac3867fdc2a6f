"""Case-resampling bootstrap of a multi-group fit (lavaan ``sem(..., group =, se =
"bootstrap")``).

As lavaan (``lav_bootstrap_internal``), each resample draws ``n_g`` cases with replacement
*within* each group ``g``, so the group sizes stay fixed; every resample is refitted from the
original estimates and the summaries are lavaan's (see :mod:`pipeline.sem.bootstrap`): SE of a
free parameter = SD of its draws (divisor B_ok), of a ``:=`` parameter = SD with divisor
B_ok - 1, percentile intervals by boot's ``norm.inter``, failed draws dropped (refused if more
than half fail), improper draws kept and counted; ``std_all_se`` by the delta method with the
bootstrap covariance matrix. The refits are the single-group engine's batched FIML refits
(:mod:`pipeline.sem.bootstrap_refit`) of the stacked model (:mod:`.multigroup_table`): a
resample is a vector of case weights on the stacked data.

Randomness: block ``j`` of ``BLOCK`` draws uses ``SeedSequence(seed, spawn_key=(j,))``, drawing
group 1's cases, then group 2's, ...; results are byte-identical for the same seed.

In R: ``sem(model, data, group = g, missing = "ml", fixed.x = FALSE, se = "bootstrap",
bootstrap = B)`` then ``parameterEstimates(fit, boot.ci.type = "perc")``
(``tests/fixtures/multigroup/make_multigroup_bootstrap.R``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.sem.bootstrap import BLOCK, _counts, _improper, chunk_blocks, norm_inter
from pipeline.sem.bootstrap_refit import RefitModel, pattern_stats, refit_draws
from pipeline.sem.defined import parse_expression
from pipeline.sem.estimate import prepare_data
from pipeline.sem.multigroup import MultiGroupResult
from pipeline.sem.multigroup_estimates import estimates_table
from pipeline.sem.partable import build_partable
from pipeline.sem.ram import build_ram
from pipeline.sem.standardize import standardized_solution
from pipeline.sem.syntax import parse_model
from pipeline.stats.distributions import norm_sf


@dataclass
class MultiGroupBootstrap:
    """Bootstrap of a multi-group fit. ``estimates``: the fit's table with bootstrap ``se``,
    ``z``, ``pvalue``, percentile ``ci_lower`` / ``ci_upper`` and ``std_all_se``."""

    estimates: pd.DataFrame
    draws: np.ndarray            # (B_ok, n_free) free parameters of the successful draws
    B: int
    n_failed: int
    n_improper: int
    conf: float
    message: str = ""

    @property
    def B_ok(self) -> int:
        return self.B - self.n_failed


def resample_groups(seed: int, j: int, sizes: list[int], B: int, block: int = BLOCK
                    ) -> np.ndarray:
    """Row indices of block ``j``'s draws, shape ``(draws, sum(sizes))``: group ``g``'s
    columns are drawn from its own rows (the stacked data hold the groups one after another)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(j,)))
    bc = min(block, B - j * block)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.concatenate([s + rng.integers(0, n, size=(bc, n))
                           for s, n in zip(starts, sizes, strict=True)], axis=1)


def _draws(mod: RefitModel, seed: int, B: int, sizes: list[int]) -> np.ndarray:
    """(B, n_free) refitted draws; NaN rows failed (no convergence, or a variable observed in
    fewer than two resampled cases of its group)."""
    n = mod.pdat.n_obs
    observed = np.zeros((n, mod.pdat.p))
    for pat in mod.pdat.patterns:
        observed[np.ix_(pat.rows, pat.obs)] = 1.0
    per = chunk_blocks(mod.theta.size)
    n_blocks = -(-B // BLOCK)
    parts = []
    for start in range(0, n_blocks, per):
        idx = [resample_groups(seed, j, sizes, B) for j in range(start, min(n_blocks,
                                                                            start + per))]
        counts = _counts(np.concatenate(idx), n)
        theta, done = refit_draws(mod, pattern_stats(mod, counts))
        theta[~(done & (counts @ observed >= 2).all(axis=1))] = np.nan
        parts.append(theta)
    return np.concatenate(parts)


def _defined_draws(fit: MultiGroupResult, pt, draws: np.ndarray) -> dict[str, np.ndarray]:
    """Per group, the ``(B_ok, n_defined)`` draws of the ``:=`` parameters."""
    n_rows = len(pt.table)
    est = fit.estimates["est"].to_numpy()
    out = {}
    for g, lab in enumerate(fit.groups):
        env: dict[str, np.ndarray] = {}
        for i, label in enumerate(pt.table["label"]):
            row = g * n_rows + i
            if label and label not in env:
                k = fit.free_index[row]
                env[label] = draws[:, k] if k >= 0 else np.full(len(draws), est[row])
        vals = np.empty((len(draws), len(pt.definitions)))
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, d in enumerate(pt.definitions):
                code = compile(parse_expression(d.expr, fit.name, d.line), d.name, "eval")
                env[d.name] = vals[:, k] = eval(code, {"__builtins__": {}}, env)
        out[lab] = vals
    return out


def _table(fit: MultiGroupResult, pt, pt_s, mod: RefitModel, draws: np.ndarray,
           conf: float) -> pd.DataFrame:
    """The fit's estimates with the bootstrap SEs, intervals and std.all SEs."""
    alpha = np.array([(1 - conf) / 2, (1 + conf) / 2])
    est = fit.estimates.copy()
    n_par = len(fit.free_index)
    se = np.zeros(len(est))
    lo, hi = est["est"].to_numpy(dtype=float).copy(), est["est"].to_numpy(dtype=float).copy()
    k = fit.free_index
    free = k >= 0
    se[:n_par][free] = draws.std(axis=0, ddof=0)[k[free]]
    ci = norm_inter(draws, alpha)
    lo[:n_par][free], hi[:n_par][free] = ci[0, k[free]], ci[1, k[free]]
    if pt.definitions:
        n_def = len(pt.definitions)
        for g, vals in enumerate(_defined_draws(fit, pt, draws).values()):
            pos = slice(n_par + g * n_def, n_par + (g + 1) * n_def)
            se[pos] = vals.std(axis=0, ddof=1) if len(vals) > 1 else np.nan
            ci_d = norm_inter(vals, alpha)
            lo[pos], hi[pos] = ci_d[0], ci_d[1]
    vcov = np.cov(draws, rowvar=False, ddof=0) if len(draws) > 1 else None
    shared = est["equal"].to_numpy()[:n_par].reshape(len(fit.groups), -1)
    std = standardized_solution(mod.ram, pt_s.table, fit.theta, vcov)
    boot_std = estimates_table(pt, pt_s.table, mod.ram, fit.theta, vcov, std, shared,
                               fit.groups)
    is_free = np.concatenate([free, np.ones(len(est) - n_par, bool)])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(is_free, est["est"].to_numpy(dtype=float) / se, np.nan)
    est["se"], est["z"], est["pvalue"] = se, z, 2 * norm_sf(np.abs(z))
    est["ci_lower"], est["ci_upper"] = lo, hi
    est["std_all_se"] = boot_std["std_all_se"].to_numpy()
    return est


def bootstrap_multigroup(fit: MultiGroupResult, *, B: int, seed: int, conf: float = 0.95
                         ) -> MultiGroupBootstrap:
    """Bootstrap ``fit`` (from :func:`pipeline.sem.multigroup.fit_multigroup`), resampling
    cases within groups. ``seed``: e.g. ``pipeline.seeds.seed_for(cfg.seed, "<wing>/<analysis>
    /bootstrap")``. Raises :class:`ModelError` if the fit has no converged estimates or more
    than half of the draws fail (fewer failures are dropped and reported in ``message``)."""
    if B < 2:
        raise ModelError(f"{fit.name}: the bootstrap needs B >= 2 resamples, got {B}.")
    if fit.theta is None or not fit.converged or fit.stacked_data is None:
        raise ModelError(f"{fit.name}: the model has no converged estimates (status "
                         f"{fit.status}), so it cannot be bootstrapped; fix the fit first.")
    pt = build_partable(parse_model(fit.syntax, fit.name), mode=fit.options["mode"],
                        model=fit.name)
    pt_s = build_partable(parse_model(fit.stacked_syntax, fit.name), mode="lavaan",
                          model=fit.name)
    pdat = prepare_data(fit.stacked_data, pt_s.ov_names, "ml", fit.name)
    mod = RefitModel.build(build_ram(pt_s), pdat, fit.theta)
    if mod.metric is None:
        raise ModelError(f"{fit.name}: the information matrix at the estimates is not positive "
                         "definite, so the model cannot be bootstrapped; fix the identification "
                         "problem reported by the fit first.")
    draws = _draws(mod, seed, B, [fit.n_obs[g] for g in fit.groups])
    failed = np.isnan(draws).any(axis=1)
    n_failed = int(failed.sum())
    if n_failed > B // 2:
        raise ModelError(f"{fit.name}: {n_failed} of {B} bootstrap resamples could not be "
                         "estimated (no convergence); the model is too fragile for these data. "
                         "Simplify the model or use estimator 'MLR'.")
    ok = draws[~failed]
    n_improper = int(_improper(mod, ok).sum())
    notes = []
    if n_failed:
        notes.append(f"{n_failed} of {B} bootstrap resamples did not converge and were dropped")
    if n_improper:
        notes.append(f"{n_improper} of {B - n_failed} bootstrap solutions are improper "
                     "(negative variance or non-positive-definite latent covariances); kept, "
                     "as lavaan keeps them")
    return MultiGroupBootstrap(estimates=_table(fit, pt, pt_s, mod, ok, conf), draws=ok, B=B,
                               n_failed=n_failed, n_improper=n_improper, conf=conf,
                               message=f"{fit.name}: " + "; ".join(notes) + "." if notes else "")
