"""The chains of the MICE sampler, run in lockstep (the engine of :func:`pipeline.stats.mice.mice`).

The m chains are independent Gibbs samplers that share the data and the missingness pattern,
so a block of chains is updated together: the design of every chain is one array
(chains x columns x rows) built once and rewritten in place on the imputed rows only, and the
regression, the posterior draw and the donor matching of one update are stacked matrix
operations over the chains (``matmul``, ``inv``, ``cholesky``, ``argsort`` act
on each chain's slice exactly as on a single matrix; the donors are matched by
:func:`pipeline.stats.pmm_match.match_rows`). Each chain keeps its own random generator
and draws from it in the same order as a chain run alone, so chain i gives the same imputations
whatever m, the block size or the number of cores. A chain whose update needs more than the
common case (a predictor removed by the collinearity screen, a ridge penalty, a failed
Cholesky factor) is updated on its own by :func:`pipeline.stats.pmm.pmm_update` for that step.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.stats.pmm import LINDEP_EPS, MAXCOR, Var, Whole, pmm_update, quantify, whole_design
from pipeline.stats.pmm_match import match_rows

__all__ = ["EventLog", "Model", "run_chains"]

_BLOCK_BYTES = 64 * 2**20  # design arrays of one block of chains stay under about this


class EventLog:
    """Events of one run, counted per (variable, event), in the order a chain-by-chain run
    would first see them (setup notes first, then by chain, iteration, variable); the message
    is that of the last such note."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.first: dict[tuple[str, str], tuple] = {}
        self.last: dict[tuple[str, str], tuple[tuple, str]] = {}
        self._setup = 0

    def note(self, var: str, event: str, msg: str, key: tuple | None = None) -> None:
        """Count one event; ``key`` = (chain, iteration, variable index, step), None for setup."""
        if key is None:
            key, self._setup = (-1, self._setup), self._setup + 1
        k = (var, event)
        self.counts[k] += 1
        if k not in self.first or key < self.first[k]:
            self.first[k] = key
        if k not in self.last or key >= self.last[k][0]:
            self.last[k] = (key, msg)

    def frame(self) -> pd.DataFrame:
        # ties (two events first seen in the same update) by event name: a run split into
        # parts (mice_parts.merged_log) orders them the same way
        rows = sorted(self.counts, key=lambda k: (self.first[k], k[1]))
        return pd.DataFrame([(v, e, self.counts[(v, e)], self.last[(v, e)][1]) for v, e in rows],
                            columns=["variable", "event", "count", "message"])


@dataclass
class Model:
    """The imputation model: encoded variables, missingness, targets and their predictors."""

    vars: dict[str, Var]
    miss: dict[str, np.ndarray]
    targets: list[str]
    predictors: dict[str, list[str]]
    method: dict[str, str]
    log: EventLog
    active: list[str]  # variables in the model (predictors or targets): not excluded


class _Design:
    """Intercept, numeric columns and treatment dummies of the active variables for a block of
    chains, in the column order of ``pmm.design``. ``X`` is stored column by column (chains x
    columns x rows), so gathering an update's predictors on its observed or missing rows reads
    each column's rows in order (issue 14's profile: the gather was a fifth of the sampler)."""

    buffer: np.ndarray | None = None  # room for the rows an update gathers (:func:`_rows`)

    def __init__(self, vars_: dict[str, Var], current: dict[str, np.ndarray]) -> None:
        self.vars, self.cols, self.names = vars_, {}, ["(Intercept)"]
        j = 1
        for name, v in vars_.items():
            k = len(v.levels) - 1 if v.categorical else 1
            self.cols[name] = np.arange(j, j + k)
            self.names += [f"{name}{lev}" for lev in v.levels[1:]] if v.categorical else [name]
            j += k
        b, n = next(iter(current.values())).shape
        self.X = np.empty((b, j, n))
        self.X[:, 0, :] = 1.0
        for name, v in vars_.items():
            c = self.cols[name]
            if v.categorical:
                self.X[:, c[0]:c[-1] + 1, :] = current[name][:, None, :] == np.arange(
                    1, len(v.levels))[:, None]
            else:
                self.X[:, c[0], :] = current[name]

    def set(self, name: str, rows: np.ndarray, values: np.ndarray) -> None:
        """Write ``values`` (chains x rows; codes for a categorical) of ``name`` on ``rows``."""
        v, c = self.vars[name], self.cols[name]
        if v.categorical:
            self.X[:, c[:, None], rows[None, :]] = values[:, None, :] == np.arange(
                1, len(v.levels))[:, None]
        else:
            self.X[:, c[0], rows] = values

    def columns(self, preds: list[str]) -> tuple[np.ndarray, list[str]]:
        idx = np.concatenate([[0], *(self.cols[p] for p in preds)]).astype(np.intp)
        return idx, [self.names[i] for i in idx]


class _Target:
    """What an update of one target needs that does not change within a run."""

    def __init__(self, model: Model, des: _Design, t: str) -> None:
        self.var = model.vars[t]
        self.obs = np.flatnonzero(~model.miss[t])
        self.mis = np.flatnonzero(model.miss[t])
        self.cols, self.names = des.columns(model.predictors[t])
        self.yobs = self.var.values[self.obs]
        # many recipients: their predicted means from the whole design (pmm.whole_design)
        self.whole = whole_design(self.mis.size, des.X.shape[2])


def run_chains(model: Model, seeds: list[np.random.SeedSequence], iterations: int,
               ridge: float, donors: int, delta: dict[str, float], means: np.ndarray,
               sds: np.ndarray) -> dict[str, np.ndarray]:
    """The final imputed values of every target: target -> (chains x its missing rows), one
    chain per seed; fills ``means`` / ``sds`` (chains x iterations x targets) with the mean / SD
    (ddof 1) of each update's imputations. Only a block's design and current values are held
    at a time; of a finished block only its imputed cells are kept (issue 15)."""
    n = len(next(iter(model.vars.values())).values)
    width = 1 + sum(len(v.levels) - 1 if v.categorical else 1 for v in model.vars.values())
    size = max(1, _BLOCK_BYTES // (3 * 8 * max(n, 1) * width))
    parts: dict[str, list[np.ndarray]] = {t: [] for t in model.targets}
    for b0 in range(0, len(seeds), size):
        rngs = [np.random.default_rng(ss) for ss in seeds[b0:b0 + size]]
        cur = _block(model, rngs, b0, iterations, ridge, donors, delta,
                     means[b0:b0 + size], sds[b0:b0 + size])
        for t in model.targets:
            parts[t].append(cur[t][:, model.miss[t]])
    return {t: np.concatenate(p, axis=0) for t, p in parts.items()}


def _block(model: Model, rngs: list[np.random.Generator], b0: int, iterations: int,
           ridge: float, donors: int, delta: dict[str, float], means: np.ndarray,
           sds: np.ndarray) -> dict[str, np.ndarray]:
    """Run a block of chains: random observed start values, then ``iterations`` sweeps; returns
    the current values (chains x rows) of every variable."""
    cur = {c: np.repeat(v.values[None, :], len(rngs), axis=0) for c, v in model.vars.items()}
    for i, rng in enumerate(rngs):  # start: random draw from the observed values
        for t in model.targets:
            miss = model.miss[t]
            obs = model.vars[t].values[~miss]
            cur[t][i, miss] = obs[rng.integers(0, obs.size, size=int(miss.sum()))]
    des = _Design({c: model.vars[c] for c in model.active}, cur)
    plan = {t: _Target(model, des, t) for t in model.targets}
    for it in range(iterations):
        for j, t in enumerate(model.targets):
            pt = plan[t]
            imp = _update(model, pt, des, rngs, ridge, donors, (b0, it, j)) + delta.get(t, 0.0)
            cur[t][:, pt.mis] = imp
            des.set(t, pt.mis, imp)
            means[:, it, j], sds[:, it, j] = _mean_sd(imp)
    return cur


def _rows(des: _Design, cols: np.ndarray, rows: np.ndarray, at: int) -> np.ndarray:
    """The design columns ``cols`` on ``rows`` of every chain (chains x rows x columns, each
    chain's slice column-major, as ``pmm_update`` forms them), gathered column by column (one
    row index for all) into the block's buffer from ``at`` on (the design's size: an update's
    donors and recipients are its rows once). Issue 15's profile at 100,000 rows: a gather by
    one flat index per cell into a new array took 20 ms of an update's 35. The values live
    until the next update's gather."""
    if des.buffer is None:
        des.buffer = np.empty(des.X.size)
    b = des.X.shape[0]
    out = des.buffer[at:at + b * cols.size * rows.size].reshape(b, cols.size, rows.size)
    for k, c in enumerate(cols):  # columns: a few dozen
        np.take(des.X[:, c, :], rows, axis=1, out=out[:, k, :], mode="clip")
    return out.transpose(0, 2, 1)


def _mean_sd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise ``mean()`` and ``std(ddof=1)`` (NaN for one value), numpy's own arithmetic."""
    n = x.shape[1]
    mean = np.add.reduce(x, axis=1) / n
    if n < 2:
        return mean, np.full(x.shape[0], np.nan)
    dev = x - mean[:, None]
    dev *= dev
    return mean, np.sqrt(np.add.reduce(dev, axis=1) / (n - 1))


def _update(model: Model, pt: _Target, des: _Design, rngs: list[np.random.Generator],
            ridge: float, donors: int, where: tuple[int, int, int]) -> np.ndarray:
    """One PMM update of a target in every chain of the block: its new imputed values."""
    xo = _rows(des, pt.cols, pt.obs, 0)
    xm = Whole(des.X, pt.cols, pt.mis) if pt.whole else _rows(des, pt.cols, pt.mis, xo.size)
    var = pt.var
    if var.categorical:  # quantify on row-major rows, as the design has them
        y = np.stack([quantify(pt.yobs, len(var.levels), np.ascontiguousarray(xo[i]))
                      for i in range(len(rngs))])
    else:
        y = pt.yobs
    idx, flags = _stacked_update(xo, xm, y, rngs, ridge, donors)
    b0, it, j = where
    for i, (keep, ridged) in enumerate(flags):
        if not keep.all():
            dropped = [nm for nm, k in zip(pt.names[1:], keep, strict=True) if not k]
            model.log.note(var.name, "predictor_removed", "predictor(s) removed as constant or "
                           f"collinear in some updates: {', '.join(dropped)}", (b0 + i, it, j, 0))
        if ridged:
            model.log.note(var.name, "ridge", f"(nearly) collinear predictors: ridge penalty "
                           f"{ridge:g} applied (mice's fallback)", (b0 + i, it, j, 1))
    return pt.yobs[idx]


def _one_by_one(xo, xm, y, rngs, ridge, donors):
    """Each chain's update on its own (:func:`pmm_update`): the uncommon cases."""
    res = [pmm_update(xo[i], xm.chain(i) if isinstance(xm, Whole) else xm[i],
                      y if y.ndim == 1 else y[i], rng, ridge, donors)
           for i, rng in enumerate(rngs)]
    return np.stack([r[0] for r in res]), [(r[1], r[2]) for r in res]


def _common_case(xtx: np.ndarray, xty: np.ndarray, yty: np.ndarray, v: np.ndarray) -> bool:
    """True when, in every chain, the collinearity screen keeps every predictor without an
    eigenvalue test and X'X needs no ridge (the bounds of ``pmm.lindep_from_gram`` and
    ``pmm._ls``); otherwise the chains are updated one by one."""
    k = xtx.shape[1] - 1
    if not np.all(np.trace(xtx, axis1=1, axis2=2) * np.trace(v, axis1=1, axis2=2) * 1e-13 < 1):
        return False
    if k == 0:
        return True
    n = xtx[:, 0, 0]
    s, sy = xtx[:, 0, 1:], xty[:, 0]
    var = (np.diagonal(xtx, axis1=1, axis2=2)[:, 1:] - s * s / n[:, None]) / (n[:, None] - 1)
    cov_xy = (xty[:, 1:] - s * (sy / n)[:, None]) / (n[:, None] - 1)
    vy = (yty - sy * sy / n) / (n - 1)
    if not (np.all(vy >= LINDEP_EPS) and np.all(var > LINDEP_EPS)):
        return False
    if np.any(cov_xy / np.sqrt(var * vy[:, None]) >= MAXCOR):
        return False
    d = np.diagonal(v, axis1=1, axis2=2)[:, 1:]
    return bool(np.all(d > 0) and np.all(k * np.sum(var * d, axis=1) * (n - 1) * LINDEP_EPS
                                         <= 1.0))


def _stacked_update(xo: np.ndarray, xm: np.ndarray, y: np.ndarray,
                    rngs: list[np.random.Generator], ridge: float, donors: int):
    """:func:`pmm_update` for a block of chains (xo: chains x donors x p; xm: chains x
    recipients x p, or a :class:`pmm.Whole` for many recipients); returns (donor indices:
    chains x recipients, [(predictors kept, ridged)] per chain)."""
    b, n_obs, p = xo.shape
    xt = xo.transpose(0, 2, 1)
    xtx = xt @ xo
    xty = xt @ y if y.ndim == 1 else (xt @ y[:, :, None])[..., 0]
    yty = np.full(b, float(y @ y)) if y.ndim == 1 else (y[:, None, :] @ y[:, :, None])[:, 0, 0]
    try:
        v = np.linalg.inv(xtx)
    except np.linalg.LinAlgError:
        return _one_by_one(xo, xm, y, rngs, ridge, donors)
    if not _common_case(xtx, xty, yty, v):
        return _one_by_one(xo, xm, y, rngs, ridge, donors)
    coef = (v @ xty[:, :, None])[..., 0]
    fit = (xo @ coef[:, :, None])[..., 0]
    resid = y - fit
    rss = (resid[:, None, :] @ resid[:, :, None])[:, 0, 0]
    df = max(n_obs - p, 1)
    sigma = np.array([math.sqrt(float(rss[i]) / rng.chisquare(df)) for i, rng in enumerate(rngs)])
    vs = (v + v.transpose(0, 2, 1)) / 2.0
    ridged = [False] * b
    try:
        chol = np.linalg.cholesky(vs)
    except np.linalg.LinAlgError:
        chol = np.empty_like(vs)
        for i in range(b):
            try:
                chol[i] = np.linalg.cholesky(vs[i])
            except np.linalg.LinAlgError:
                ridged[i] = True
                chol[i] = np.linalg.cholesky(vs[i] + np.diag(ridge * np.abs(np.diag(vs[i]))
                                                             + 1e-12))
    z = np.stack([rng.standard_normal(p) for rng in rngs])
    beta = coef + (chol @ z[:, :, None])[..., 0] * sigma[:, None]
    yhat_mis = (xm.means(beta) if isinstance(xm, Whole) else (xm @ beta[:, :, None])[..., 0])
    idx = match_rows(fit, yhat_mis, donors, rngs)
    return idx, [(np.ones(p - 1, dtype=bool), r) for r in ridged]
