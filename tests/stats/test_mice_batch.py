"""Tests for pipeline.stats.mice_batch: every sample imputed in lockstep gets exactly the
imputations pipeline.stats.mice.mice gives it alone (the boot-MI samples, issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import DataError
from pipeline.stats.mice import mice
from pipeline.stats.mice_batch import mice_many


def _data(n: int = 90, seed: int = 3, categorical: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    d = pd.DataFrame({"a": a, "b": a + rng.normal(size=n), "c": rng.integers(0, 4, n) * 1.0,
                      "age": rng.integers(20, 80, n) * 1.0})
    if categorical:
        d["g"] = pd.array(rng.choice(["x", "y", "z"], n), dtype="string")
    for col, share in [("a", 0.2), ("b", 0.4), ("c", 0.3)]:
        d.loc[rng.uniform(size=n) < share, col] = np.nan
    d.loc[d.index[5], "age"] = np.nan  # one missing value: absent from some samples
    if categorical:
        d.loc[rng.uniform(size=n) < 0.2, "g"] = None
    return d


def _assert_same(long: pd.DataFrame, d: pd.DataFrame, rows: np.ndarray, seeds, m: int,
                 iterations: int) -> None:
    n = rows.shape[1]
    for s in range(rows.shape[0]):
        res = mice(d.iloc[rows[s]].reset_index(drop=True), list(d.columns), m=m,
                   iterations=iterations, seed=seeds[s])
        for i, imp in enumerate(res.imputations):
            got = long.iloc[(s * m + i) * n:(s * m + i + 1) * n].reset_index(drop=True)
            for c in d.columns:
                if pd.api.types.is_float_dtype(imp[c]):
                    x, y = got[c].to_numpy(dtype=float), imp[c].to_numpy(dtype=float)
                    assert np.array_equal(x, y, equal_nan=True), (s, i, c)
                    assert np.array_equal(np.signbit(x), np.signbit(y)), (s, i, c)
                else:
                    assert [str(v) for v in got[c]] == [str(v) for v in imp[c]], (s, i, c)


@pytest.mark.parametrize("categorical", [False, True])
def test_each_sample_gets_the_imputations_of_mice_alone(categorical):
    d = _data(categorical=categorical)
    rng = np.random.default_rng(8)
    rows = rng.integers(0, len(d), size=(12, len(d)))
    seeds = [int(x) for x in rng.integers(0, 2**62, size=12)]
    long = mice_many(d, rows, list(d.columns), m=2, iterations=4, seeds=seeds)
    assert len(long) == 12 * 2 * len(d)
    assert not long[["a", "b", "c", "age"]].isna().any().any()
    _assert_same(long, d, rows, seeds, 2, 4)


@pytest.mark.parametrize("categorical", [False, True])
def test_recipients_predicted_from_the_whole_design_as_in_mice_alone(monkeypatch, categorical):
    """With many recipients (pmm.whole_design: here every update with a quarter of its rows
    missing) the batch predicts them from the whole design as mice() does: the same numbers."""
    import pipeline.stats.pmm as pmm

    monkeypatch.setattr(pmm, "WHOLE_MIN_RECIPIENTS", 1)
    d = _data(categorical=categorical)
    rng = np.random.default_rng(9)
    rows = rng.integers(0, len(d), size=(6, len(d)))
    seeds = [int(x) for x in rng.integers(0, 2**62, size=6)]
    long = mice_many(d, rows, list(d.columns), m=2, iterations=3, seeds=seeds)
    _assert_same(long, d, rows, seeds, 2, 3)


def test_samples_with_other_models_and_a_small_block():
    """A sample where a variable is complete (not a target) or constant (not in the model),
    and design blocks of one sample each, still give mice's own imputations."""
    d = _data(n=40)
    constant_c = np.resize(np.flatnonzero((d["c"] == 1.0) | d["c"].isna()), 40)
    rows = np.vstack([np.arange(40), np.r_[np.arange(5), np.arange(6, 40), 6], constant_c])
    seeds = [11, 12, 13]
    long = mice_many(d, rows, list(d.columns), m=3, iterations=3, seeds=seeds, block_bytes=1)
    _assert_same(long, d, rows, seeds, 3, 3)
    assert long.iloc[2 * 3 * 40:]["c"].isna().any()  # constant there: not imputed, as mice


def test_a_variable_missing_in_a_whole_sample_is_refused_as_by_mice():
    d = _data(n=30)
    rows = np.vstack([np.arange(30), np.full(30, int(np.flatnonzero(d["b"].isna())[0]))])
    with pytest.raises(DataError, match="missing for all 30"):
        mice_many(d, rows, list(d.columns), m=2, iterations=2, seeds=[1, 2])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), m=st.integers(1, 3), samples=st.integers(1, 5))
def test_property_equal_to_mice_per_sample(seed, m, samples):
    d = _data(n=35, seed=seed % 1000)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(d), size=(samples, len(d)))
    seeds = [int(x) for x in rng.integers(0, 2**62, size=samples)]
    try:
        long = mice_many(d, rows, list(d.columns), m=m, iterations=2, seeds=seeds)
    except DataError:  # a sample with a variable never observed: mice() refuses it too
        with pytest.raises(DataError):
            for s in range(samples):
                mice(d.iloc[rows[s]].reset_index(drop=True), list(d.columns), m=m,
                     iterations=2, seed=seeds[s])
        return
    _assert_same(long, d, rows, seeds, m, 2)
