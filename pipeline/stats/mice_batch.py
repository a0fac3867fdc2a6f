"""MICE of many data sets in lockstep: the bootstrap samples of boot-MI (issue 14).

Bootstrap-then-impute imputes every bootstrap sample of the incomplete records on its own
(``mice(data.iloc[rows[s]], columns, m=m, seed=seeds[s])``). Run one sample at a time, the
sampler's fixed costs (set-up, a few dozen small array operations per update) are paid B times
and dominate. Here the m chains of *all* samples are one set of chains, updated together as
:mod:`pipeline.stats.mice_chains` updates the chains of one run: one design array (chains x
columns x rows), built once and rewritten in place on each chain's imputed rows, and each
update a handful of stacked matrix operations (:func:`mice_chains._stacked_update`).

Each sample has its own rows and so its own missingness: a target's observed rows differ from
sample to sample. The chains of an update are therefore stacked in groups of equal shape (the
samples with the same number of observed values of the target), never padded, so every chain
goes through the same floating-point operations, on arrays of the same shape and layout, as
when its sample is imputed alone. Each chain draws from its own generator
(``SeedSequence(seeds[s]).spawn(m)[i]``) in the same order as :func:`pipeline.stats.mice.mice`,
and samples whose imputation model differs (a variable complete, or constant, in that sample;
other levels of a categorical variable) are run as their own group. So sample s gets exactly
the imputations :func:`pipeline.stats.mice.mice` gives it (``tests/stats/test_mice_batch.py``).

In R: ``bootImpute::bootMice`` (one ``mice()`` call per bootstrap sample).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.stats.mice import _check_arguments, mice
from pipeline.stats.mice_chains import _Design, _stacked_update
from pipeline.stats.pmm import DONORS, RIDGE, Var, Whole, encode, quantify, whole_design

__all__ = ["mice_many"]

#: the design array of one block of chains stays under about this many bytes
BLOCK_BYTES = 64 * 2**20


def mice_many(data: pd.DataFrame, rows: np.ndarray, columns: Sequence[str], *, m: int,
              iterations: int, seeds: Sequence[int], method: str = "pmm",
              donors: int = DONORS, ridge: float = RIDGE,
              block_bytes: int = BLOCK_BYTES) -> pd.DataFrame:
    """The m completed data sets of each sample ``data.iloc[rows[s]]`` (``rows``: samples x n
    row positions), imputed with ``seeds[s]`` as :func:`pipeline.stats.mice.mice` (PMM,
    predictors: every other column) would impute it, stacked: ``S * m * n`` rows (sample, then
    imputation, then row), the ``columns`` (numeric ones as floats, categorical ones as their
    levels); a sample that :func:`mice` refuses (a variable missing in the whole sample) raises
    the same error."""
    columns = list(columns)
    _check_arguments(data, columns, method, iterations, donors, "raise")
    rows = np.asarray(rows, dtype=np.intp)
    S, n = rows.shape
    vals, levels = _encode(data, columns, rows)
    miss = {c: np.isnan(v) for c, v in vals.items()}
    models = _models(vals, miss, levels, columns)
    out = {c: np.empty((S, m, n)) for c in columns}
    groups: dict[tuple, list[int]] = {}
    for s, model in enumerate(models):
        if model is None:  # a variable missing in the whole sample: mice() says which
            mice(data.iloc[rows[s]].reset_index(drop=True), columns, m=m,
                 iterations=iterations, seed=int(seeds[s]), method=method, donors=donors,
                 ridge=ridge)
        groups.setdefault(model, []).append(s)
    for model, members in groups.items():
        width = 1 + sum(len(lv) - 1 if lv else 1 for _, lv in model[1])
        per = max(1, block_bytes // (8 * n * width * m))
        for b0 in range(0, len(members), per):
            block = np.asarray(members[b0:b0 + per])
            cur = _run(model, block, vals, miss, m, iterations,
                       [int(seeds[s]) for s in block], ridge, donors)
            for c in columns:
                out[c][block] = cur[c].reshape(len(block), m, n)
    return _frame(out, columns, levels, models, S, m, n)


def _encode(data: pd.DataFrame, columns: list[str], rows: np.ndarray
            ) -> tuple[dict[str, np.ndarray], list[dict[str, tuple | None]]]:
    """Values (samples x n; category codes of each sample's own levels) and, per sample, the
    levels of every categorical column (None for a numeric one), as :func:`encode` gives them
    for the sample."""
    S = rows.shape[0]
    vals: dict[str, np.ndarray] = {}
    levels: list[dict[str, tuple | None]] = [{} for _ in range(S)]
    for c in columns:
        var = encode(data, c)
        if not var.categorical:
            vals[c] = var.values[rows]
            for lv in levels:
                lv[c] = None
            continue
        vals[c] = np.empty(rows.shape)
        col = data[[c]]
        for s in range(S):  # the levels present in the sample, as encode() sees them
            v = encode(col.iloc[rows[s]], c)
            vals[c][s] = v.values
            levels[s][c] = tuple(v.levels)
    return vals, levels


def _models(vals, miss, levels, columns) -> list[tuple | None]:
    """Per sample, the design its imputation model uses as a hashable key (the active columns -
    not constant - and the levels of the categorical ones), as
    :func:`pipeline.stats.mice._model` builds it; None for a sample with a variable missing
    throughout. Samples with the same key share one design whatever their targets."""
    S = next(iter(vals.values())).shape[0]
    empty = np.zeros(S, dtype=bool)
    constant = {}
    for c in columns:
        v, ms = vals[c], miss[c]
        empty |= ms.all(axis=1)
        lo = np.where(ms, np.inf, v).min(axis=1)
        hi = np.where(ms, -np.inf, v).max(axis=1)
        constant[c] = ~(hi > lo)
    return [None if empty[s] else
            (tuple(c for c in columns if not constant[c][s]), tuple(levels[s].items()))
            for s in range(S)]


def _run(model: tuple, samples: np.ndarray, vals, miss, m: int, iterations: int,
         seeds: list[int], ridge: float, donors: int) -> dict[str, np.ndarray]:
    """The chains of a block of samples that share one model: the current values of every
    column after ``iterations`` sweeps (chains x n; chain = sample * m + imputation)."""
    active, lv = model
    lv = dict(lv)
    rngs = [np.random.default_rng(ss) for seed in seeds
            for ss in np.random.SeedSequence(seed).spawn(m)]
    cur = {c: np.repeat(v[samples], m, axis=0) for c, v in vals.items()}
    has = {c: miss[c][samples].any(axis=1) for c in active}  # c is a target of the sample
    targets = [c for c in active if has[c].any()]
    for i, rng in enumerate(rngs):  # start: random draw from the sample's observed values
        s, j = samples[i // m], i // m
        for t in targets:
            if not has[t][j]:
                continue
            ms = miss[t][s]
            obs = vals[t][s][~ms]
            cur[t][i, ms] = obs[rng.integers(0, obs.size, size=int(ms.sum()))]
    vars_ = {c: Var(c, lv[c] is not None, vals[c][0], list(lv[c]) if lv[c] else None, None)
             for c in active}
    des = _Design(vars_, {c: cur[c] for c in active})
    des.X = np.ascontiguousarray(des.X.transpose(0, 2, 1))  # chains x rows x columns
    plan = {t: _groups(des, [p for p in active if p != t], miss[t][samples], vals[t][samples],
                       m, np.flatnonzero(has[t])) for t in targets}
    for _ in range(iterations):
        for t in targets:
            for g in plan[t]:
                imp = _update(des, vars_[t], g, rngs, ridge, donors) + 0.0
                cur[t][g["chains"][:, None], g["mis"]] = imp
                _set(des, vars_[t], g["mis_at"], imp)
    return cur


def _groups(des: _Design, preds: list[str], miss: np.ndarray, values: np.ndarray, m: int,
            targeted: np.ndarray) -> list[dict]:
    """The chains of one target stacked by shape: per number of observed values, the chains
    (of the ``targeted`` samples: those missing some values of it), their missing rows, the
    observed values (as in ``mice_chains._Target``) and where each chain's observed and missing
    rows start in the flat design (``obs_at``, ``mis_at``: one ``take`` per update gathers the
    predictors, instead of fancy indexing with three index arrays)."""
    cols, _ = des.columns(preds)
    _, n, width = des.X.shape
    n_obs = (~miss).sum(axis=1)
    out = []
    for k in np.unique(n_obs[targeted]):
        idx = targeted[n_obs[targeted] == k]
        obs = np.stack([np.flatnonzero(~miss[s]) for s in idx])
        mis = np.stack([np.flatnonzero(miss[s]) for s in idx])
        chains = (idx[:, None] * m + np.arange(m)).reshape(-1)
        yobs = np.take_along_axis(values[idx], obs, axis=1)
        obs, mis = np.repeat(obs, m, axis=0), np.repeat(mis, m, axis=0)
        out.append({"chains": chains, "cols": cols, "mis": mis, "yobs": np.repeat(yobs, m, axis=0),
                    "obs_at": (chains[:, None] * n + obs) * width,
                    "mis_at": (chains[:, None] * n + mis) * width})
    return out


def _update(des: _Design, var: Var, g: dict, rngs: list, ridge: float,
            donors: int) -> np.ndarray:
    """One PMM update of a target in a group of chains: their new imputed values (as
    ``mice_chains._update``, with the predictors in the same layout: each chain's columns x
    rows C-ordered, transposed; the design here is held rows x columns, so a chain's observed
    rows are gathered whole)."""
    flat, cols = _flat(des), g["cols"][None, :, None]
    # one gather each, straight into chains x columns x rows (C order), viewed as x rows x cols
    xo = flat.take(g["obs_at"][:, None, :] + cols).transpose(0, 2, 1)
    if whole_design(g["mis"].shape[1], des.X.shape[1]):  # as mice_chains._update does
        xm = Whole(np.ascontiguousarray(des.X[g["chains"]].transpose(0, 2, 1)), g["cols"],
                   g["mis"])
    else:
        xm = flat.take(g["mis_at"][:, None, :] + cols).transpose(0, 2, 1)
    yobs = g["yobs"]
    if var.categorical:
        y = np.stack([quantify(yobs[i], len(var.levels), np.ascontiguousarray(xo[i]))
                      for i in range(len(yobs))])
    else:
        y = yobs
    idx, _ = _stacked_update(xo, xm, y, [rngs[c] for c in g["chains"]], ridge, donors)
    return np.take_along_axis(yobs, idx, axis=1)


def _flat(des: _Design) -> np.ndarray:
    """The design as one flat view (chains x rows x columns, C order: ``_run`` made it
    contiguous, so this is a view and writes to it are writes to the design)."""
    assert des.X.flags.c_contiguous
    return des.X.reshape(-1)


def _set(des: _Design, var: Var, at: np.ndarray, values: np.ndarray) -> None:
    """Write ``values`` (chains x rows; codes of a categorical) of ``var`` on the design's rows
    that start at the flat positions ``at`` (chains x rows)."""
    c, flat = des.cols[var.name], _flat(des)
    if var.categorical:
        for j, level in enumerate(range(1, len(var.levels))):
            flat[at + c[j]] = values == level
    else:
        flat[at + c[0]] = values


def _frame(out: dict[str, np.ndarray], columns: list[str], levels, models, S: int, m: int,
           n: int) -> pd.DataFrame:
    """The stacked completed data sets (categorical columns back to their levels)."""
    cols = {}
    for c in columns:
        v = out[c].reshape(-1)
        if levels and levels[0][c] is not None:
            lab = np.full(v.shape, np.nan, dtype=object)
            per = out[c].reshape(S, -1)
            for s in range(S):
                lv = np.asarray(levels[s][c], dtype=object)
                ok = ~np.isnan(per[s])
                lab[s * m * n:(s + 1) * m * n][ok] = lv[per[s][ok].astype(int)]
            v = lab
        cols[c] = v
    return pd.DataFrame(cols)
