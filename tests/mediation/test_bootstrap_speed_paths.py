"""The fast paths of pipeline/mediation/bootstrap.py give the numbers of the plain ones.

- counts drawn and counted block by block (``ResamplePlan.iter_counts``) equal the counts of the
  plan's index matrix, for any chunk size;
- the batched Cholesky path (:func:`cholesky_coefficients`, packed batch-last Gram matrices)
  equals the LU path (:func:`pipeline.mediation.ols.chain_coefficients`) and flags the same
  singular draws;
- :func:`column_percentiles` is ``np.percentile(..., axis=0)`` exactly (property test), so
  intervals did not move when the sort path replaced it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from mediation_helpers import chain_design

from pipeline.mediation.bootstrap import (
    IndexPlan,
    ResamplePlan,
    bootstrap_draws,
    cholesky_coefficients,
    column_percentiles,
    counts_from_indices,
    effects_from_grams,
    percentile_ci,
    quantile_mc_se,
    singular_draws,
    weighted_grams,
)
from pipeline.mediation.effects import effect_values
from pipeline.mediation.ols import Layout, chain_coefficients, gram, standardise

LAYOUT = Layout(2, 3)


@pytest.mark.parametrize("chunk", [None, 50, 120, 1000])
def test_counts_block_by_block_equal_counts_of_the_index_matrix(chunk):
    plan = ResamplePlan(n=41, B=333, seed=9, block=25)
    want = counts_from_indices(plan.indices(), 41)
    got = np.concatenate(list(plan.iter_counts(chunk)))
    np.testing.assert_array_equal(got, want)
    assert got.dtype == float and (got.sum(axis=1) == 41).all()
    idx_plan = IndexPlan(plan.indices())
    np.testing.assert_array_equal(np.concatenate(list(idx_plan.iter_counts(chunk))), want)


@pytest.mark.parametrize("block", [0, 20])
def test_draws_do_not_depend_on_the_chunk_size(block):
    Zs, scaling = standardise(chain_design())
    plan = ResamplePlan(len(Zs), 260, 4, block)
    a, _ = bootstrap_draws(Zs, LAYOUT, scaling, plan, chunk_draws=50)
    b, _ = bootstrap_draws(Zs, LAYOUT, scaling, plan, chunk_draws=260)
    c, _ = bootstrap_draws(Zs, LAYOUT, scaling, plan)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    if block == 0:   # an explicit index matrix of the same draws gives the same numbers
        d, _ = bootstrap_draws(Zs, LAYOUT, scaling, IndexPlan(plan.indices()), chunk_draws=70)
        np.testing.assert_array_equal(a, d)


def test_cholesky_path_equals_lu_path():
    Zs, scaling = standardise(chain_design())
    G = weighted_grams(Zs, counts_from_indices(ResamplePlan(len(Zs), 40, 2).indices(), len(Zs)))
    coefs, bad = cholesky_coefficients(G, LAYOUT, scaling)
    assert not bad.any()
    ref = chain_coefficients(G, LAYOUT, scaling)
    np.testing.assert_allclose(effect_values(coefs, LAYOUT), effect_values(ref, LAYOUT),
                               rtol=1e-10, atol=1e-13)


def test_singular_draws_are_flagged_by_both_paths():
    Z = chain_design()[:60].copy()
    Zs, scaling = standardise(Z)
    G = weighted_grams(Zs, counts_from_indices(ResamplePlan(60, 6, 1).indices(), 60))
    G[2, :, 3] = G[2, 3, :] = 0.0    # covariate 2 constant in draw 2: singular regressor block
    G[2, 3, 3] = 0.0
    G[4, 5] = G[4, 4]                # mediator 1 a copy of covariate 2 in draw 4
    G[4, :, 5] = G[4, :, 4]
    flagged = singular_draws(G)
    assert flagged.tolist() == [False, False, True, False, True, False]
    out = effects_from_grams(G, gram(Zs), LAYOUT, scaling)
    assert np.isnan(out[[2, 4]]).all() and np.isfinite(np.delete(out, [2, 4], axis=0)).all()
    ok = np.delete(np.arange(6), [2, 4])
    ref = effect_values(chain_coefficients(G[ok], LAYOUT, scaling), LAYOUT)
    np.testing.assert_allclose(out[ok], ref, rtol=1e-10, atol=1e-13)


@settings(max_examples=60, deadline=None)
@given(arrays(float, st.tuples(st.integers(1, 60), st.integers(1, 4)),
              elements=st.floats(-1e6, 1e6, allow_nan=False)),
       st.lists(st.floats(0, 100), min_size=1, max_size=5))
def test_column_percentiles_equal_numpy(draws, q):
    np.testing.assert_array_equal(column_percentiles(draws, q), np.percentile(draws, q, axis=0))


def test_interval_helpers_keep_numpy_numbers():
    draws = np.random.default_rng(3).standard_t(5, size=(5000, 7))
    lo, hi = percentile_ci(draws, 0.95)
    alpha = 1 - 0.95  # as percentile_ci computes it (not exactly 0.05)
    want = np.percentile(draws, [100 * alpha / 2, 100 * (1 - alpha / 2)], axis=0)
    np.testing.assert_array_equal(np.stack([lo, hi]), want)
    B = draws.shape[0]
    p, h = 0.025, 0.01  # the same floating-point expressions as quantile_mc_se
    qlo, qhi = np.percentile(draws, [100 * (p - h), 100 * (p + h)], axis=0)
    want = np.sqrt(p * (1 - p) / B) * (qhi - qlo) / ((p + h) - (p - h))
    np.testing.assert_array_equal(quantile_mc_se(draws, 0.025), want)


def test_one_partition_helper_equals_the_three_calls():
    from pipeline.mediation.bootstrap import percentile_ci_mcse

    draws = np.random.default_rng(8).gamma(2.0, size=(3001, 5))
    lo, hi, mlo, mhi = percentile_ci_mcse(draws, 0.95)
    want_lo, want_hi = percentile_ci(draws, 0.95)
    np.testing.assert_array_equal(lo, want_lo)
    np.testing.assert_array_equal(hi, want_hi)
    np.testing.assert_array_equal(mlo, quantile_mc_se(draws, (1 - 0.95) / 2))
    np.testing.assert_array_equal(mhi, quantile_mc_se(draws, (1 + 0.95) / 2))
