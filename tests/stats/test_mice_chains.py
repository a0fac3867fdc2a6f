"""Tests for pipeline.stats.mice_chains: the lockstep sampler draws exactly as chains run one by
one with the plain PMM pieces (the sampler before issue 14), whatever the block size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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


