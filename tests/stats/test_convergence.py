"""Tests for pipeline/stats/convergence.py against posterior 1.4.0 and a hand computation.

Reference: tests/fixtures/mice/rhat_reference.R (``posterior::rhat`` and ``posterior::rhat_basic``
on five toy draw matrices: mixed, one chain shifted, trending, a chain with 6x the scale (a
tail-only problem) and heaped integer values with ties), values in rhat_posterior.csv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.stats.convergence import rhat, rhat_basic, split_chains, trace_rhat

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "mice"


def _cases() -> dict[str, np.ndarray]:
    d = pd.read_csv(FIX / "rhat_draws.csv")
    return {k: g.pivot(index="iteration", columns="chain", values="value").to_numpy()
            for k, g in d.groupby("case", sort=False)}


REF = pd.read_csv(FIX / "rhat_posterior.csv").set_index("case")


@pytest.mark.parametrize("case", list(REF.index))
def test_rhat_matches_posterior(case):
    x = _cases()[case]
    assert rhat(x) == pytest.approx(REF.loc[case, "rhat"], abs=1e-10)
    assert rhat_basic(x) == pytest.approx(REF.loc[case, "rhat_basic"], abs=1e-10)


def test_split_rhat_by_hand():
    # two chains of 4: split -> 4 chains of 2: (1,2) (2,3) (3,4) (4,5)
    x = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0], [4.0, 5.0]])
    assert split_chains(x).tolist() == [[1, 2, 3, 4], [2, 3, 4, 5]]
    # chain means 1.5 3.5 2.5 4.5 (var 5/3), within var 0.5, N = 2
    # R-hat = sqrt((B/W + N - 1)/N) = sqrt((2 * 5/3 / 0.5 + 1) / 2)
    assert rhat_basic(x) == pytest.approx(np.sqrt((2 * (5 / 3) / 0.5 + 1) / 2))
    # odd length: the middle draw is dropped
    assert split_chains(np.arange(5.0)[:, None]).tolist() == [[0, 3], [1, 4]]


def test_rhat_flags_stuck_chains_and_nan_for_constant():
    rng = np.random.default_rng(1)
    good = rng.normal(size=(50, 4))
    assert rhat(good) < 1.05
    assert rhat(good + np.array([0, 0, 0, 3])) > 1.1
    assert np.isnan(rhat(np.ones((10, 3))))
    assert np.isnan(rhat(np.array([[1.0, np.nan], [2.0, 3.0]])))


def test_trace_rhat_discards_warmup():
    rng = np.random.default_rng(2)
    trace = rng.normal(size=(5, 20))                  # chains x iterations
    trace[:, :10] += np.linspace(5, 0, 10)[None, :] * np.array([1, -1, 2, 0, -2])[:, None]
    assert rhat(trace.T) > 1.1                        # with the drift
    assert trace_rhat(trace) == pytest.approx(rhat(trace[:, 10:].T))
    assert trace_rhat(trace) < 1.1
    assert np.isnan(trace_rhat(trace[:, :6]))         # 3 kept iterations: too few
