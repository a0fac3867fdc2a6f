"""Drawing and counting the resampling indices (pipeline/mediation/bootstrap.py).

The floor of the bootstrap's cost, so it is done with small integer types, in cache-sized
blocks and with reused buffers; these tests pin what that must not change: every draw is n
indices in 0..n-1, exactly uniform, reproducible by seed, the same whatever the chunking, and
the counts (and the Gram sums ``P' W'``) equal those of the explicit index matrix.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pipeline.mediation.bootstrap import (
    BLOCK_ELEMENTS,
    MIN_BLOCK,
    IndexPlan,
    ResamplePlan,
    count_into,
    counts_from_indices,
    default_block,
    index_dtype,
)


def _explicit_counts(idx: np.ndarray, n: int) -> np.ndarray:
    return np.stack([np.bincount(row, minlength=n) for row in np.asarray(idx, dtype=np.intp)])


def test_index_type_is_the_smallest_unsigned_type_that_holds_n():
    assert index_dtype(2) is np.uint16 and index_dtype(1 << 16) is np.uint16
    assert index_dtype((1 << 16) + 1) is np.uint32
    assert default_block(630) == BLOCK_ELEMENTS // 630
    assert default_block(10 * BLOCK_ELEMENTS) == MIN_BLOCK  # large n: GEMMs of >= MIN_BLOCK


def test_blocks_are_reproducible_in_range_and_small_typed():
    plan = ResamplePlan(n=630, B=500, seed=3)
    assert plan.rows_per_block == default_block(630)
    blk = plan.index_block(1)
    assert blk.dtype == np.uint16 and blk.shape == (plan.rows_per_block, 630)
    assert blk.min() >= 0 and blk.max() <= 629
    np.testing.assert_array_equal(blk, ResamplePlan(630, 500, 3).index_block(1))
    assert not np.array_equal(blk, ResamplePlan(630, 500, 4).index_block(1))
    last = plan.index_block(2)                      # 500 = 208 + 208 + 84
    assert last.shape == (500 - 2 * plan.rows_per_block, 630)
    full = plan.indices()
    assert full.dtype == np.intp and full.shape == (500, 630)


def test_indices_are_uniform_over_the_rows():
    """Chi-square goodness of fit of 1.26 M draws over n = 630 rows (fixed seed: the test is
    deterministic; a biased mapping of random bits to rows, e.g. modulo without rejection at a
    larger n, would show up as a tiny p value)."""
    plan = ResamplePlan(n=630, B=2000, seed=11)
    counts = np.bincount(plan.indices().reshape(-1), minlength=630)
    assert stats.chisquare(counts).pvalue > 1e-3
    per_draw = counts_from_indices(plan.indices(), 630)
    # multinomial(n, 1/n): mean 1, variance 1 - 1/n per cell
    assert per_draw.mean() == 1.0
    assert abs(per_draw.var() - (1 - 1 / 630)) < 0.01


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), rows=st.integers(1, 40),
       dtype=st.sampled_from([np.uint16, np.uint32, np.intp, np.int64]), seed=st.integers(0, 99))
def test_count_into_equals_a_bincount_per_row(n, rows, dtype, seed):
    idx = np.random.default_rng(seed).integers(0, n, size=(rows, n)).astype(dtype)
    out = np.full((rows, n), 7.0)                   # stale buffer contents must not leak in
    count_into(idx, out)
    np.testing.assert_array_equal(out, _explicit_counts(idx, n))
    assert (out.sum(axis=1) == n).all()


def test_count_into_with_large_n_uses_the_wide_path():
    n = (1 << 16) + 5
    plan = ResamplePlan(n=n, B=3, seed=2)
    idx = plan.index_block(0)
    assert idx.dtype == np.uint32 and idx.max() < n
    out = np.empty(idx.shape, dtype=float)
    count_into(idx, out)
    np.testing.assert_array_equal(out, _explicit_counts(idx, n))


@pytest.mark.parametrize("chunk", [None, 1, 45, 100, 1000])
def test_weighted_sums_equal_counts_times_products_for_any_chunk(chunk):
    rng = np.random.default_rng(0)
    n, B = 37, 130
    P = rng.normal(size=(n, 6))
    plan = ResamplePlan(n=n, B=B, seed=5, block=20)
    want = P.T @ counts_from_indices(plan.indices(), n).T
    got = np.concatenate(list(plan.iter_weighted_sums(P, chunk)), axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    explicit = IndexPlan(plan.indices()).iter_weighted_sums(P, chunk)
    np.testing.assert_allclose(np.concatenate(list(explicit), axis=1), want, rtol=1e-12,
                               atol=1e-12)
    # with the default block size, the explicit index matrix gives bit-identical sums
    auto = ResamplePlan(n=n, B=B, seed=5)
    np.testing.assert_array_equal(
        np.concatenate(list(auto.iter_weighted_sums(P, chunk)), axis=1),
        np.concatenate(list(IndexPlan(auto.indices()).iter_weighted_sums(P, chunk)), axis=1))
