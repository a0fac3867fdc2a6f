"""pipeline.comparison.regression: least squares, HC0, and the estimands it reads off them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.comparison.regression import estimand_fits, ols


def _data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = (rng.random(n) < 0.5).astype(float)
    x = rng.normal(size=n)
    y0 = 1 + 0.3 * p + 0.2 * x + rng.normal(size=n)
    d = pd.DataFrame({"P": p, "x": x - x.mean(), "y_T0": y0,
                      "y_T1": y0 - 0.5 * p + rng.normal(size=n)})
    d.loc[rng.random(n) < 0.3, "y_T1"] = np.nan
    return d


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_difference_in_change_is_b1_minus_b0_on_the_same_people(seed):
    d = _data(80, seed).dropna()
    fits = estimand_fits(d, "y", ["T0", "T1"], "P", ["x"])
    x = np.column_stack([np.ones(len(d)), d[["P", "x"]].to_numpy()])
    b0 = ols(d["y_T0"].to_numpy(), x)[0]
    b1 = ols(d["y_T1"].to_numpy(), x)[0]
    assert fits[("did", 1)][0] == pytest.approx(b1[1] - b0[1])
    assert fits[("chg_ref", 1)][0] == pytest.approx(b1[0] - b0[0])
    assert fits[("chg_prog", 1)][0] == pytest.approx(b1[0] + b1[1] - b0[0] - b0[1])


def test_hc0_is_the_sandwich_by_hand():
    rng = np.random.default_rng(2)
    x = np.column_stack([np.ones(40), rng.normal(size=40)])
    y = x @ [1.0, 2.0] + rng.normal(size=40) * (1 + np.abs(x[:, 1]))
    w = rng.uniform(0.2, 2, 40)
    beta, v, df = ols(y, x, w, hc0=True)
    bread = np.linalg.inv((x.T * w) @ x)
    e = y - x @ beta
    meat = sum(w[i] ** 2 * e[i] ** 2 * np.outer(x[i], x[i]) for i in range(40))
    assert np.allclose(v, bread @ meat @ bread) and df == 38


def test_rank_deficient_or_too_small_gives_none():
    x = np.column_stack([np.ones(5), np.ones(5)])
    assert ols(np.arange(5.0), x) is None
    assert ols(np.arange(2.0), np.ones((2, 2))) is None


def test_counts_are_the_people_in_each_regression():
    d = _data(100, 1)
    fits = estimand_fits(d, "y", ["T0", "T1"], "P", ["x"])
    assert fits[("mean_ref", 0)][3] == 100
    assert fits[("did", 1)][3] == int(d["y_T1"].notna().sum())
