"""Tests for pipeline.stats.pmm_match: the stacked matcher is ``mice:::matchindex``, donor for
donor, on ties, at the ends of the sorted means and on non-finite means, whatever the CPU.

The oracle below is ``src/matchindex.cpp`` of mice (amices/mice) transcribed line by line, with
R's ``sample()`` calls replaced by the same draws from the chain's numpy generator that the
pipeline makes (permutation first, then the h's)::

    IntegerVector ishuf = sample(n1) - 1;               // 1. shuffle
    stable_sort(isort, ..., yshuf[i1] < yshuf[i2]);      // 2. sort the shuffled means
    k = min(max(k, 1), n1); h = sample(1:k, n0, TRUE);   // 4. pre-sample h
    r = lower_bound(ysort, val); l = r - 1;              // 5. neighbours
    while (count < h && l >= 0 && r < n1)                // 6. walk
        if (val - ysort[l] < ysort[r] - val) idx = id[l--]; else idx = id[r++];
    then the left side alone, then the right side alone.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.stats.pmm_match as pm
from pipeline.stats.pmm import match_donors
from pipeline.stats.pmm_match import match_rows


def _matchindex(d: np.ndarray, t: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """mice's matchindex, one recipient at a time (0-based indices)."""
    n1, n0 = d.size, t.size
    ishuf = rng.permutation(n1)
    yshuf = d[ishuf]
    isort = sorted(range(n1), key=lambda i: (_key(yshuf[i]), i))  # stable, NaN last
    idx_sorted = ishuf[isort]
    ysort = d[idx_sorted]
    k = min(max(k, 1), n1)
    h = rng.integers(0, k, size=n0) + 1
    out = np.empty(n0, dtype=np.intp)
    for i in range(n0):
        val, count = float(t[i]), 0
        r = int(np.searchsorted(ysort, val))
        left = r - 1
        while count < h[i] and left >= 0 and r < n1:
            with np.errstate(invalid="ignore", over="ignore"):
                nearer_left = val - ysort[left] < ysort[r] - val
            if nearer_left:
                out[i], left = idx_sorted[left], left - 1
            else:
                out[i], r = idx_sorted[r], r + 1
            count += 1
        while count < h[i] and left >= 0:
            out[i], left, count = idx_sorted[left], left - 1, count + 1
        while count < h[i] and r < n1:
            out[i], r, count = idx_sorted[r], r + 1, count + 1
    return out


def _key(v: float) -> tuple:
    return (1, 0.0) if np.isnan(v) else (0, v)


def _case(seed: int, b: int, n_obs: int, n_mis: int, levels: int):
    rng = np.random.default_rng(seed)
    if levels:  # few distinct means: many equal distances (duplicated rows of a bootstrap)
        obs = rng.integers(0, levels, (b, n_obs)) * 0.5
        mis = rng.integers(0, 2 * levels, (b, n_mis)) * 0.25
    else:
        obs, mis = rng.normal(size=(b, n_obs)), rng.normal(size=(b, n_mis)) * 1.5
    return obs, mis, np.random.SeedSequence(seed).spawn(b)


def _oracle(obs, mis, donors, seeds):
    return np.stack([_matchindex(obs[i], mis[i], donors, np.random.default_rng(s))
                     for i, s in enumerate(seeds)])


@pytest.mark.parametrize("levels", [0, 3, 12])
@pytest.mark.parametrize("seed,b,n_obs,n_mis,donors", [
    (1, 4, 50, 30, 5), (2, 3, 7, 20, 5), (3, 2, 6, 9, 5), (4, 5, 10, 40, 5), (5, 2, 5, 8, 5),
    (6, 3, 200, 150, 3), (7, 1, 12, 3, 1), (8, 2, 30, 25, 10), (9, 2, 3000, 50, 5)])
def test_match_rows_is_matchindex(seed, b, n_obs, n_mis, donors, levels):
    """Ties (levels), fewer donors than d, one donor, many donors (the unstable-sort path)."""
    obs, mis, seeds = _case(seed, b, n_obs, n_mis, levels)
    got = match_rows(obs, mis, donors, [np.random.default_rng(s) for s in seeds])
    np.testing.assert_array_equal(got, _oracle(obs, mis, donors, seeds))


def test_match_rows_at_the_ends_and_on_non_finite_means():
    """Recipients beyond either end, equal distances either side, and infinite or NaN means
    (where the padded walk would run past a row's end) take matchindex's donors."""
    obs = np.array([[0.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                    [0.0, 1.0, np.inf, 2.0, -np.inf, 4.0, 5.0, np.nan]])
    mis = np.array([[-9.0, 99.0, 3.5, 1.5, np.nan, np.inf, -np.inf, 1.0],
                    [-9.0, 99.0, 3.5, 1.5, np.nan, np.inf, -np.inf, 1.0]])
    seeds = np.random.SeedSequence(3).spawn(2)
    for donors in (1, 2, 5, 8):
        got = match_rows(obs, mis, donors, [np.random.default_rng(s) for s in seeds])
        np.testing.assert_array_equal(got, _oracle(obs, mis, donors, seeds))


def test_equal_distances_go_right():
    """3.5 is as near 3.0 as 4.0: matchindex takes the right one first (h = 1 is forced by one
    donor)."""
    obs = np.array([0.0, 3.0, 4.0, 9.0])
    assert match_donors(obs, np.array([3.5]), 1, np.random.default_rng(0)).tolist() == [2]


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), b=st.integers(1, 4), n_obs=st.integers(1, 40),
       n_mis=st.integers(1, 30), donors=st.integers(1, 8), levels=st.sampled_from([0, 2, 5]))
def test_match_rows_is_matchindex_property(seed, b, n_obs, n_mis, donors, levels):
    obs, mis, seeds = _case(seed, b, n_obs, n_mis, levels)
    got = match_rows(obs, mis, donors, [np.random.default_rng(s) for s in seeds])
    np.testing.assert_array_equal(got, _oracle(obs, mis, donors, seeds))


def test_match_donors_is_one_chain_of_match_rows():
    obs, mis, seeds = _case(11, 1, 80, 40, 4)
    got = match_donors(obs[0], mis[0], 5, np.random.default_rng(seeds[0]))
    np.testing.assert_array_equal(got, _oracle(obs, mis, 5, seeds)[0])


_CPU_SCRIPT = """
import hashlib, numpy as np
from pipeline.stats.pmm_match import match_rows
rng = np.random.default_rng(5)
obs = rng.integers(0, 6, (40, 300)) * 0.5   # a bootstrap sample's ties, 40 chains
mis = rng.integers(0, 12, (40, 200)) * 0.25
seeds = np.random.SeedSequence(5).spawn(40)
idx = match_rows(obs, mis, 5, [np.random.default_rng(s) for s in seeds])
print(hashlib.sha256(idx.tobytes()).hexdigest())
"""


def test_donors_do_not_depend_on_the_cpu_features_numpy_uses():
    """The same donors with numpy's SIMD kernels switched off (``NPY_DISABLE_CPU_FEATURES``:
    on numpy 2 an ``argpartition`` of tied distances gave other donors there)."""
    umath = pytest.importorskip("numpy._core._multiarray_umath")
    found = {name for name, on in umath.__cpu_features__.items() if on}
    # only features numpy dispatches at run time can be switched off (the baseline cannot)
    can = (set(umath.__cpu_dispatch__) - set(umath.__cpu_baseline__)) & found
    off = sorted(can)
    if not off:
        pytest.skip("no dispatched SIMD features to switch off on this CPU")
    runs = []
    for env in ({}, {"NPY_DISABLE_CPU_FEATURES": " ".join(off)}):
        done = subprocess.run([sys.executable, "-W", "ignore", "-c", _CPU_SCRIPT],
                              capture_output=True, text=True, env={**os.environ, **env},
                              check=True)
        runs.append(done.stdout.strip())
    assert runs[0] == runs[1]


def test_match_rows_edges():
    """No recipients; every donor equal; NaN donors with infinite recipients; means so far
    apart that a distance overflows (the padded walk must not step past a row's end)."""
    seeds = np.random.SeedSequence(9).spawn(2)
    cases = [
        (np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]), np.empty((2, 0)), 2),
        (np.full((2, 6), 3.0), np.array([[3.0, 2.0, 4.0], [3.0, 3.0, 3.0]]), 4),
        (np.array([[0.0, np.nan, 1.0, 2.0], [np.nan, np.nan, 0.0, 5.0]]),
         np.array([[np.inf, -np.inf, 0.5], [np.nan, 1.0, np.inf]]), 3),
        (np.array([[-1e308, 1e308], [0.0, 1.0]]), np.full((2, 4), 1e308), 2),
        (np.array([[-1e308, 1e308, 0.0], [0.0, 1.0, 2.0]]), np.full((2, 3), -1e308), 3),
        (np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0]]),  # finite donors; a NaN or
         np.array([[1.0, np.nan, 2.0], [np.inf, 0.5, 1.0]]), 3),  # inf recipient, alone too
    ]
    for obs, mis, donors in cases:
        with np.errstate(over="ignore", invalid="ignore"):
            want = _oracle(obs, mis, donors, seeds)
        got = match_rows(obs, mis, donors, [np.random.default_rng(s) for s in seeds])
        np.testing.assert_array_equal(got, want)
        assert got.shape == mis.shape and ((got >= 0) & (got < obs.shape[1])).all()
        for i, s in enumerate(seeds):  # each chain alone: the same donors
            np.testing.assert_array_equal(
                match_rows(obs[i:i + 1], mis[i:i + 1], donors, [np.random.default_rng(s)])[0],
                want[i])


@pytest.mark.parametrize("values", [
    [[3.0, 1.0, 2.0, 0.5]], [[1.0, 2.0, 1.0, 0.0]], [[1.0, np.nan, 0.0, np.nan]],
    [[2.0, 1.0], [1.0, 1.0]], [[]]])
def test_stable_argsort_is_numpys_stable_argsort(monkeypatch, values):
    monkeypatch.setattr(pm, "_FAST_SORT_MIN", 0)
    x = np.array(values, dtype=float)
    np.testing.assert_array_equal(pm._stable_argsort(x), np.argsort(x, axis=1, kind="stable"))


@pytest.mark.parametrize("n_obs", [5, 5000])
def test_locate_is_searchsorted_by_row(n_obs):
    """Both ways of :func:`pm._locate` (queries sorted first from 4,096 donors) are numpy's
    ``searchsorted`` (left) row by row, ties and NaN included."""
    rng = np.random.default_rng(n_obs)
    s = np.sort(np.round(rng.normal(size=(3, n_obs)), 1), axis=1)
    s[2, -1] = np.nan
    q = np.round(rng.normal(size=(3, 40)), 1)
    q[1, :3] = np.nan
    want = np.stack([np.searchsorted(s[i], q[i]) for i in range(3)])
    np.testing.assert_array_equal(pm._locate(s, q), want)


def test_nearest_donor_is_mice_matchindex_in_r():
    """Against R itself (``tests/fixtures/mice/matchindex_reference.R``, mice 3.15.0):
    ``matchindex(d, t, k = 1)`` on tied, half-way and out-of-range recipients. With k = 1 every
    recipient takes its nearest donor (R's random h does not enter); the shuffle only orders
    equal donors, so the donor's value is compared.

    .. code-block:: r

        idx <- matchindex(d, t, k = 1L); d[idx]
    """
    from pathlib import Path

    import pandas as pd

    here = Path(__file__).resolve().parents[1] / "fixtures" / "mice"
    want = pd.read_csv(here / "matchindex_k1.csv")
    donors = pd.read_csv(here / "matchindex_donors.csv")
    for case, rows in want.groupby("case", sort=False):
        d = donors.loc[donors["case"] == case, "d"].to_numpy(float)
        t = rows["t"].to_numpy(float)
        idx = match_donors(d, t, 1, np.random.default_rng(0))
        np.testing.assert_array_equal(d[idx], rows["donor_value"].to_numpy(float), err_msg=case)
