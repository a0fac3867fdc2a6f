"""Tests for pipeline.stats.mice_chains: the lockstep sampler draws exactly as chains run one by
one with the plain PMM pieces (the sampler before issue 14), whatever the block size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.stats.mice_chains as mc
from pipeline.stats.mice import mice
from pipeline.stats.pmm import (
    Whole,
    design,
    match_donors,
    norm_draw,
    quantify,
    remove_lindep,
    whole_design,
)


def _reference_chain(model, iterations, rng, ridge, donors, delta):
    """One chain, rebuilt from the plain pieces: design rebuilt for every update, boolean masks,
    np.cov in the collinearity screen (the pre-issue-14 sampler, kept here as the oracle)."""
    cur = {c: v.values.copy() for c, v in model.vars.items()}
    for t in model.targets:
        miss = model.miss[t]
        obs = model.vars[t].values[~miss]
        cur[t][miss] = obs[rng.integers(0, obs.size, size=int(miss.sum()))]
    means = np.full((iterations, len(model.targets)), np.nan)
    for it in range(iterations):
        for j, t in enumerate(model.targets):
            ry, var = ~model.miss[t], model.vars[t]
            x, x_names = design(model.vars, cur, model.predictors[t])
            yobs, xobs = var.values[ry], x[ry]
            ynum = quantify(yobs, len(var.levels), xobs) if var.categorical else yobs
            keep = np.concatenate([[True], remove_lindep(xobs[:, 1:], ynum)])
            coef, beta, _ = norm_draw(xobs[:, keep], ynum, rng, ridge)
            if whole_design(int((~ry).sum()), ry.size):  # many recipients: the whole design
                full, names = design(model.vars, cur, model.active)
                cols = np.array([names.index(nm) for nm in np.asarray(x_names)[keep]])
                whole = Whole(np.ascontiguousarray(full.T)[None], cols, np.flatnonzero(~ry))
                yhat_mis = whole.means(beta[None])[0]
            else:
                yhat_mis = x[~ry][:, keep] @ beta
            idx = match_donors(xobs[:, keep] @ coef, yhat_mis, donors, rng)
            imp = yobs[idx] + delta.get(t, 0.0)
            cur[t][~ry] = imp
            means[it, j] = imp.mean()
    return cur, means


def _data(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 150
    a = rng.normal(size=n)
    d = pd.DataFrame({"a": a, "b": a + rng.normal(size=n), "c": rng.integers(0, 4, n) * 1.0,
                      "g": rng.choice(["x", "y", "z"], n)})
    if kind == "collinear":  # the screen drops a predictor: chains go one by one
        d["b"] = 2 * d["a"] + 1
    for col, share in [("a", 0.2), ("b", 0.35), ("c", 0.3), ("g", 0.25)]:
        d.loc[rng.uniform(size=n) < share, col] = np.nan if col != "g" else None
    return d


@pytest.mark.parametrize("kind,delta", [("plain", {}), ("collinear", {}), ("plain", {"b": 1.5})])
def test_lockstep_chains_equal_chains_run_one_by_one(kind, delta):
    d = _data(kind)
    cols = list(d.columns)
    res = mice(d, cols, m=4, iterations=3, seed=5, delta=delta)
    for i, ss in enumerate(np.random.SeedSequence(5).spawn(4)):
        model = _model_of(d, cols, delta)
        cur, means = _reference_chain(model, 3, np.random.default_rng(ss), 1e-5, 5, delta)
        np.testing.assert_array_equal(res.chain_means[i], means)
        for t in model.targets:
            got = res.imputations[i][t]
            want = pd.Series(cur[t])
            if model.vars[t].categorical:
                got = got.map({lev: k for k, lev in enumerate(model.vars[t].levels)})
            np.testing.assert_array_equal(got.to_numpy(float), want.to_numpy(float))


@pytest.mark.parametrize("kind", ["plain", "collinear"])
def test_lockstep_chains_with_recipients_from_the_whole_design(monkeypatch, kind):
    """Updates with many recipients (pmm.whole_design; here those with a quarter of the rows
    missing) predict them from the whole design, in the lockstep and the one-by-one updates
    alike (the collinear data send chains one by one), and a chain gives the same numbers
    in any block of chains."""
    import pipeline.stats.pmm as pmm

    monkeypatch.setattr(pmm, "WHOLE_MIN_RECIPIENTS", 1)
    d = _data(kind)
    cols = list(d.columns)
    model = _model_of(d, cols, {})
    assert {whole_design(int(model.miss[t].sum()), len(d)) for t in model.targets} == {
        True, False}  # both kinds of update in one run
    res = mice(d, cols, m=3, iterations=3, seed=7)
    monkeypatch.setattr(mc, "_BLOCK_BYTES", 1)  # one chain per block
    alone = mice(d, cols, m=3, iterations=3, seed=7)
    np.testing.assert_array_equal(res.chain_means, alone.chain_means)
    for i, ss in enumerate(np.random.SeedSequence(7).spawn(3)):
        cur, means = _reference_chain(_model_of(d, cols, {}), 3, np.random.default_rng(ss),
                                      1e-5, 5, {})
        np.testing.assert_array_equal(res.chain_means[i], means)


def test_whole_design_means_are_the_recipients_products():
    """Whole.means is X_mis beta (to rounding), per chain, with columns left out by keep."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2, 6, 40))
    cols, mis = np.array([0, 2, 3, 5]), np.array([1, 4, 9, 30])
    beta = rng.normal(size=(2, 4))
    got = Whole(X, cols, mis).means(beta)
    want = np.stack([X[i][np.ix_(cols, mis)].T @ beta[i] for i in range(2)])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)
    keep = np.array([True, False, True, True])
    got = Whole(X, cols, mis).chain(1).means(beta[1:, keep], keep)
    np.testing.assert_allclose(got[0], X[1][np.ix_(cols[keep], mis)].T @ beta[1, keep],
                               rtol=0, atol=1e-13)
    assert not whole_design(9_999, 10_000) and whole_design(10_000, 40_000)
    assert not whole_design(10_000, 40_001)


@pytest.mark.parametrize("values", [
    [[3.0, 1.0, 2.0, 0.5]], [[1.0, 2.0, 1.0, 0.0]], [[1.0, np.nan, 0.0, np.nan]],
    [[2.0, 1.0], [1.0, 1.0]], [[]]])
def test_stable_argsort_is_numpys_stable_argsort(monkeypatch, values):
    monkeypatch.setattr(mc, "_FAST_SORT_MIN", 0)
    x = np.array(values, dtype=float)
    np.testing.assert_array_equal(mc._stable_argsort(x), np.argsort(x, axis=1, kind="stable"))


def _model_of(d, cols, delta):
    from pipeline.stats.mice import _model

    return _model(d, cols, [], None, delta)


def test_block_size_does_not_change_the_draws(monkeypatch):
    d = _data("plain")
    whole = mice(d, list(d.columns), m=5, iterations=2, seed=3)
    monkeypatch.setattr(mc, "_BLOCK_BYTES", 1)  # one chain per block
    single = mice(d, list(d.columns), m=5, iterations=2, seed=3)
    np.testing.assert_array_equal(whole.chain_means, single.chain_means)
    np.testing.assert_array_equal(whole.chain_sds, single.chain_sds)
    for a, b in zip(whole.imputations, single.imputations, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_event_log_orders_as_chains_one_by_one():
    log = mc.EventLog()
    log.note("k", "constant", "setup note")
    log.note("y", "ridge", "chain 1", (1, 0, 0, 1))
    log.note("x", "predictor_removed", "chain 0 late", (0, 2, 1, 0))
    log.note("x", "predictor_removed", "chain 0 early", (0, 1, 1, 0))
    log.note("y", "ridge", "chain 0", (0, 0, 0, 1))
    f = log.frame()
    assert list(zip(f["variable"], f["event"], strict=True)) == [
        ("k", "constant"), ("y", "ridge"), ("x", "predictor_removed")]
    assert list(f["count"]) == [1, 2, 2]
    assert list(f["message"]) == ["setup note", "chain 1", "chain 0 late"]


def _match_by_argpartition(yhat_obs, yhat_mis, donors, rngs):
    """``_match`` before the walk (issue 14): every recipient's window of 2d sorted means
    ordered by ``argpartition`` (the oracle of :func:`test_match_walk_equals_argpartition`)."""
    b, n_obs = yhat_obs.shape
    n_mis = yhat_mis.shape[1]
    d = int(min(donors, n_obs))
    off = (np.arange(b) * n_obs)[:, None]
    perm = np.stack([rng.permutation(n_obs) for rng in rngs]) + off
    order = perm.take(np.argsort(yhat_obs.take(perm), axis=1, kind="stable") + off)
    s = yhat_obs.take(order)
    w = min(2 * d, n_obs)
    start = mc._locate(s, yhat_mis) - d
    start = np.clip(start, 0, n_obs - w) + off
    windows = np.lib.stride_tricks.as_strided(s, (b * n_obs - w + 1, w), (s.itemsize,) * 2)
    dist = np.abs(windows.take(start, axis=0) - yhat_mis[:, :, None])
    pick = np.stack([rng.integers(0, d, size=n_mis) for rng in rngs])
    if d < w:
        nearest = np.argpartition(dist, d - 1, axis=2)
        pick = np.take_along_axis(nearest, pick[:, :, None], 2)[:, :, 0]
    return order.take(start + pick) - off


def _argpartition_sorts_short_rows() -> bool:
    """True where numpy's argpartition of a short row orders it fully (its SIMD sorting network,
    e.g. on AVX-512 machines): there the walk must give exactly the argpartition's donors."""
    x = np.random.default_rng(0).random((2000, 10))
    return bool((np.diff(np.take_along_axis(x, np.argpartition(x, 4, axis=1), 1), axis=1)
                 > 0).all())


def _match_case(seed, b, n_obs, n_mis, donors, levels):
    rng = np.random.default_rng(seed)
    if levels:  # few distinct means: many equal distances (duplicated rows of a bootstrap)
        obs = rng.integers(0, levels, (b, n_obs)) * 0.5
        mis = rng.integers(0, 2 * levels, (b, n_mis)) * 0.25
    else:
        obs, mis = rng.normal(size=(b, n_obs)), rng.normal(size=(b, n_mis)) * 1.5
    seeds = np.random.SeedSequence(seed).spawn(b)
    return obs, mis, donors, seeds


@pytest.mark.parametrize("levels", [0, 3, 12])
@pytest.mark.parametrize("seed,b,n_obs,n_mis,donors", [
    (1, 4, 50, 30, 5), (2, 3, 7, 20, 5), (3, 2, 6, 9, 5), (4, 5, 10, 40, 5), (5, 2, 5, 8, 5),
    (6, 3, 200, 150, 3), (7, 1, 12, 3, 1), (8, 2, 30, 25, 10)])
def test_match_walk_equals_argpartition(seed, b, n_obs, n_mis, donors, levels):
    """The walk outwards from each recipient picks the same donor as the argpartition of its
    window: where no tie is near (any machine: the pick-th nearest is unique) and, on machines
    whose argpartition sorts short rows, everywhere (ties are left to argpartition itself)."""
    obs, mis, donors, seeds = _match_case(seed, b, n_obs, n_mis, donors, levels)
    got = mc._match(obs, mis, donors, [np.random.default_rng(s) for s in seeds])
    want = _match_by_argpartition(obs, mis, donors, [np.random.default_rng(s) for s in seeds])
    plain = mc._match(obs, mis, donors, [np.random.default_rng(s) for s in seeds], walk=False)
    np.testing.assert_array_equal(plain, want)  # walk=False: the argpartition everywhere
    if levels and not _argpartition_sorts_short_rows():
        pytest.skip("argpartition here leaves tied rows in another order")
    np.testing.assert_array_equal(got, want)


def test_match_walk_marks_ties_and_non_finite_values():
    """Equal distances among the d + 1 nearest, and NaN means, are handed back as tied."""
    s = np.array([[0.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    q = np.array([[0.1, 5.9, 3.5, np.nan]])
    pos = mc._locate(s, q)
    chosen, tied = mc._walk(s, q, pos, np.zeros_like(pos), 2, np.zeros((1, 1), dtype=np.intp))
    assert tied.tolist() == [[True, False, True, True]]  # 1.0 twice; 3.0 / 4.0 both at 0.5
    assert chosen[0, 1] == 7  # 6.0 is nearest to 5.9


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), b=st.integers(1, 4), n_obs=st.integers(1, 40),
       n_mis=st.integers(1, 30), donors=st.integers(1, 8), levels=st.sampled_from([0, 2, 5]))
def test_match_walk_equals_argpartition_property(seed, b, n_obs, n_mis, donors, levels):
    """As :func:`test_match_walk_equals_argpartition`, on arbitrary shapes (one donor, fewer
    donors than d, all rows donors)."""
    obs, mis, donors, seeds = _match_case(seed, b, n_obs, n_mis, donors, levels)
    got = mc._match(obs, mis, donors, [np.random.default_rng(s) for s in seeds])
    want = _match_by_argpartition(obs, mis, donors, [np.random.default_rng(s) for s in seeds])
    if levels and not _argpartition_sorts_short_rows():
        return
    np.testing.assert_array_equal(got, want)
