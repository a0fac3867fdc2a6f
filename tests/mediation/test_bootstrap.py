"""Vectorised bootstrap, percentile and BCa intervals (pipeline/mediation/bootstrap.py)."""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import chain_design, complete_case, reference_spec, wide_from_chain
from scipy import stats

from pipeline.mediation.bootstrap import (
    IndexPlan,
    ResamplePlan,
    bca_ci,
    bootstrap_draws,
    counts_from_indices,
    jackknife_effects,
    percentile_ci,
    weighted_grams,
)
from pipeline.mediation.effects import effect_values
from pipeline.mediation.ols import Layout, chain_coefficients, gram, standardise

LAYOUT = Layout(2, 3)


def test_plan_is_reproducible_and_chunk_invariant():
    plan = ResamplePlan(n=37, B=130, seed=5, block=20)
    full = plan.indices()
    assert full.shape == (130, 37)
    np.testing.assert_array_equal(full, ResamplePlan(37, 130, 5, 20).indices())
    chunked = np.concatenate(list(plan.iter_indices(chunk_draws=40)))
    np.testing.assert_array_equal(full, chunked)
    assert not np.array_equal(full, ResamplePlan(37, 130, 6, 20).indices())


def test_counts_and_weighted_grams_equal_explicit_resamples():
    Z = chain_design()[:50]
    Zs, _ = standardise(Z)
    idx = ResamplePlan(50, 6, 1).indices()
    W = counts_from_indices(idx, 50)
    assert (W.sum(axis=1) == 50).all()
    G = weighted_grams(Zs, W)
    for b in range(6):
        np.testing.assert_allclose(G[b], Zs[idx[b]].T @ Zs[idx[b]], rtol=1e-12, atol=1e-10)


def test_vectorised_draws_equal_refitting_each_resample():
    Z = chain_design()
    Zs, scaling = standardise(Z)
    plan = ResamplePlan(len(Z), 25, 3)
    draws, n_failed = bootstrap_draws(Zs, LAYOUT, scaling, plan)
    assert n_failed == 0
    for b, rows in enumerate(plan.indices()):
        Zb = Z[rows]
        a1 = np.linalg.lstsq(Zb[:, :4], Zb[:, 4], rcond=None)[0][1]
        b1 = np.linalg.lstsq(Zb[:, :7], Zb[:, 7], rcond=None)[0][4]
        assert draws[b, 19] == pytest.approx(a1 * b1, rel=1e-9)   # ind_1
        Zbs = (Zb - scaling.center) / scaling.scale
        coefs = chain_coefficients(gram(Zbs), LAYOUT, scaling)
        np.testing.assert_allclose(draws[b], effect_values(coefs, LAYOUT), rtol=1e-9, atol=1e-12)


def test_jackknife_by_downdating_equals_leave_one_out():
    Z = chain_design()[:40]
    Zs, scaling = standardise(Z)
    jack = jackknife_effects(Zs, LAYOUT, scaling, chunk=7)
    for i in (0, 13, 39):
        Zi = np.delete(Zs, i, axis=0)
        coefs = chain_coefficients(gram(Zi), LAYOUT, scaling)
        np.testing.assert_allclose(jack[i], effect_values(coefs, LAYOUT), rtol=1e-9, atol=1e-12)


def test_percentile_and_bca_formulas():
    rng = np.random.default_rng(0)
    draws = rng.normal(1.0, 1.0, size=(4001, 2))
    lo, hi = percentile_ci(draws, 0.95)
    np.testing.assert_allclose(lo, np.percentile(draws, 2.5, axis=0))
    # zero acceleration and an estimate at the median: BCa = percentile (up to interpolation)
    est = np.median(draws, axis=0)
    # symmetric -> a = 0
    jack = np.tile([[0.0, 0.0]], (10, 1)) + np.arange(10)[:, None] * [1.0, 1.0]
    blo, bhi = bca_ci(est, draws, jack, 0.95)
    np.testing.assert_allclose(blo, lo, atol=2e-3)
    np.testing.assert_allclose(bhi, hi, atol=2e-3)
    # a shifted estimate moves both endpoints the same way, by the E&T formula
    est2 = est + 0.2
    z0 = stats.norm.ppf((draws < est2).mean(axis=0))
    p_lo = stats.norm.cdf(2 * z0 + stats.norm.ppf(0.025))
    blo2, _ = bca_ci(est2, draws, jack, 0.95)
    np.testing.assert_allclose(blo2[0], np.quantile(draws[:, 0], p_lo[0]), rtol=1e-12)


def test_singular_resamples_are_dropped_not_fatal():
    wide = wide_from_chain()
    wide["gender"] = "Woman"
    wide.loc[wide.index[:2], "gender"] = "Man"          # 2 of 630: absent from ~4% of resamples
    res = complete_case(seed=3, B=500).fit(wide, reference_spec())
    n_used = int(res.table["B"].iloc[0])
    assert 400 < n_used < 500
    assert "could not be estimated" in res.status["message"].iloc[0]
    assert np.isfinite(res.table["ci_lower"]).all()


def test_run_is_reproducible_by_seed():
    wide = wide_from_chain()
    a = complete_case(seed=1, B=300).fit(wide, reference_spec())
    b = complete_case(seed=1, B=300).fit(wide, reference_spec())
    c = complete_case(seed=2, B=300).fit(wide, reference_spec())
    assert a.table.equals(b.table)
    ind = a.table["effect_type"] == "indirect_specific"
    assert not np.allclose(a.table.loc[ind, "ci_lower"], c.table.loc[ind, "ci_lower"])
    # the plan can be shared: an explicit IndexPlan with the same indices gives the same table
    from pipeline.mediation.estimator import job_key
    from pipeline.seeds import seed_for
    idx = ResamplePlan(630, 300, seed_for(1, job_key("chain"))).indices()
    d = complete_case(seed=99, plan=IndexPlan(idx)).fit(wide, reference_spec())
    assert a.table.equals(d.table)
