"""The chains of the MICE sampler, run in lockstep (the engine of :func:`pipeline.stats.mice.mice`).

The m chains are independent Gibbs samplers that share the data and the missingness pattern,
so a block of chains is updated together: the design of every chain is one array
(chains x columns x rows) built once and rewritten in place on the imputed rows only, and the
regression, the posterior draw and the donor matching of one update are stacked matrix
operations over the chains (``matmul``, ``inv``, ``cholesky``, ``argsort``, ``argpartition`` act
on each chain's slice exactly as on a single matrix). Each chain keeps its own random generator
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

__all__ = ["EventLog", "Model", "run_chains"]

_BLOCK_BYTES = 64 * 2**20  # design arrays of one block of chains stay under about this
_FAST_SORT_MIN = 2048  # rows of donors from which _stable_argsort tries the unstable sort first


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
                    rngs: list[np.random.Generator], ridge: float, donors: int,
                    walk: bool = True):
    """:func:`pmm_update` for a block of chains (xo: chains x donors x p; xm: chains x
    recipients x p, or a :class:`pmm.Whole` for many recipients); returns (donor indices:
    chains x recipients, [(predictors kept, ridged)] per chain); ``walk``: see :func:`_match`."""
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
    idx = _match(fit, yhat_mis, donors, rngs, walk)
    return idx, [(np.ones(p - 1, dtype=bool), r) for r in ridged]


def _match(yhat_obs: np.ndarray, yhat_mis: np.ndarray, donors: int,
           rngs: list[np.random.Generator], walk: bool = True) -> np.ndarray:
    """:func:`pipeline.stats.pmm.match_donors` for a block of chains (rows = chains); per-row
    gathers are flat ``take`` calls on the C-ordered arrays (row offsets added).

    The donor is the ``pick``-th nearest of the window's ``2d`` sorted predicted means, as the
    ``argpartition`` of :func:`match_donors` orders them. With ``walk`` that order is found by
    walking out from each recipient's place in the sorted means (:func:`_walk`: a few array
    steps instead of one ``argpartition`` per recipient); recipients whose nearest ``d + 1``
    distances hold a tie keep the ``argpartition`` itself, as only there could its order differ
    from the walk's. Without ``walk`` every recipient uses the ``argpartition`` (the bootstrap
    samples of boot-MI: their duplicated rows tie about nine recipients in ten).
    """
    b, n_obs = yhat_obs.shape
    n_mis = yhat_mis.shape[1]
    d = int(min(donors, n_obs))
    off = (np.arange(b) * n_obs)[:, None]
    perm = np.stack([rng.permutation(n_obs) for rng in rngs])
    perm += off
    order = perm.take(_stable_argsort(yhat_obs.take(perm)) + off)
    s = yhat_obs.take(order)  # (order holds flat indices; order - off: the row's own)
    w = min(2 * d, n_obs)
    pos = _locate(s, yhat_mis)
    pick = np.stack([rng.integers(0, d, size=n_mis) for rng in rngs])
    if d == w:  # every observed row is a donor: the window is the whole row
        return order.take(pick + off) - off
    if not walk:
        start = np.clip(pos - d, 0, n_obs - w) + off
        return order.take(start + _nearest(s, yhat_mis, start, pick, d, w)) - off
    chosen, tied = _walk(s, yhat_mis, pos, pick, d, off)
    if tied.any():  # the argpartition of match_donors on the tied recipients' windows
        r, c = np.nonzero(tied)
        start = np.clip(pos[r, c] - d, 0, n_obs - w) + off[r, 0]
        chosen[r, c] = start + _nearest(s, yhat_mis[r, c], start, pick[r, c], d, w)
    return order.take(chosen) - off


def _stable_argsort(x: np.ndarray) -> np.ndarray:
    """``np.argsort(x, axis=1, kind="stable")``, tried first (rows of :data:`_FAST_SORT_MIN` or
    more) with numpy's unstable sort: where every row's values are distinct and not NaN the two
    orders are one (issue 15's profile: 100,000 predicted means, stable 8 ms, unstable 1.5)."""
    if x.shape[1] < _FAST_SORT_MIN:
        return np.argsort(x, axis=1, kind="stable")
    order = np.argsort(x, axis=1)
    s = np.take_along_axis(x, order, axis=1)
    if s.shape[1] and not (np.isnan(s[:, -1]).any() or (s[:, 1:] == s[:, :-1]).any()):
        return order
    return np.argsort(x, axis=1, kind="stable")


def _nearest(s: np.ndarray, q: np.ndarray, start: np.ndarray, pick: np.ndarray, d: int,
             w: int) -> np.ndarray:
    """Offset in its window (``s`` flat from ``start``, ``w`` long) of each query's
    ``pick``-th nearest, in the order ``argpartition`` leaves the d nearest (the window a
    strided view of the sorted means, no index matrix)."""
    windows = np.ndarray((s.size - w + 1, w), dtype=s.dtype, buffer=s,
                         strides=(s.itemsize, s.itemsize))
    dist = windows.take(start, axis=0)
    dist -= q[..., None]
    np.abs(dist, out=dist)
    nearest = np.argpartition(dist, d - 1, axis=-1)
    return np.take_along_axis(nearest, pick[..., None], axis=-1)[..., 0]


def _walk(s: np.ndarray, q: np.ndarray, pos: np.ndarray, pick: np.ndarray, d: int,
          off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``pick``-th nearest of the sorted rows ``s`` to each query ``q`` (``pos``: its place,
    ``searchsorted`` left), as a flat index into ``s``, found by merging the distances to the
    left and to the right of ``pos`` outwards; and where the ``d + 1`` nearest distances hold a
    tie or a value is not finite (the order of equal distances is left to the caller).

    The distances are ``|s - q|`` to the last bit (``q - s`` left of ``pos``, ``s - q`` right
    of it: the same rounded numbers), so with no tie the order is the order any sort gives.
    Each row is padded with ``d + 1`` infinities on both sides, so a walk past its end meets
    an infinite distance instead of a bounds check.
    """
    b, n_obs = s.shape
    pad = d + 1
    width = n_obs + 2 * pad
    flat = np.empty((b, width))
    flat[:, :pad] = -np.inf
    flat[:, pad + n_obs:] = np.inf
    flat[:, pad:pad + n_obs] = s
    flat = flat.reshape(-1)
    base = (np.arange(b) * width + pad)[:, None]
    lo, hi = pos + base - 1, np.empty_like(pos)  # after k steps hi = lo + k + 1
    high, went_left = np.empty((d,) + pos.shape, np.intp), np.empty((d,) + pos.shape, bool)
    dl, dr, val, prev = (np.empty(pos.shape) for _ in range(4))
    left, same = np.empty(pos.shape, dtype=bool), np.empty(pos.shape, dtype=bool)
    tied = ~np.isfinite(q)
    tied |= ~np.isfinite(s).all(axis=1)[:, None]
    for k in range(d + 1):
        np.add(lo, k + 1, out=hi)
        flat.take(lo, out=dl, mode="clip")  # every index is inside the padded rows
        np.subtract(q, dl, out=dl)
        flat.take(hi, out=dr, mode="clip")
        dr -= q
        np.less(dl, dr, out=left)
        np.minimum(dl, dr, out=val)
        if k:  # (dl == dr at step k shows as val == prev at step k + 1)
            np.equal(val, prev, out=same)
            tied |= same
        if k < d:
            np.copyto(high[k], hi)
            np.copyto(went_left[k], left)
        lo -= left
        val, prev = prev, val
    step = pick[None]  # the position taken at step pick: hi there, or lo = hi - pick - 1
    chosen = np.take_along_axis(high, step, axis=0)[0]
    chosen -= np.take_along_axis(went_left, step, axis=0)[0] * (pick + 1)
    chosen -= base
    chosen += off
    return chosen, tied


def _locate(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise ``np.searchsorted(s[i], q[i])`` (s sorted by row), with each row of queries
    sorted first: a binary search over sorted queries stays in cache (issue 14's profile)."""
    o = np.argsort(q, axis=1)
    qs = np.take_along_axis(q, o, 1)
    out = np.empty(q.shape, dtype=np.intp)
    for i in range(q.shape[0]):
        out[i, o[i]] = np.searchsorted(s[i], qs[i])
    return out
