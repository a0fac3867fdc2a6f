"""The primary-estimate helpers of the missing-data stage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.stages.impute import change_estimator, weighted_mean_change


def test_weighted_mean_change_hand_computed():
    d = np.array([1.0, 3.0, np.nan, 5.0])
    w = np.array([1.0, 1.0, 2.0, 2.0])
    est, se, n = weighted_mean_change(d, w)
    assert n == 3
    assert est == (1 + 3 + 10) / 4
    resid = np.array([1, 3, 5]) - 3.5
    assert np.isclose(se, np.sqrt(np.sum(np.array([1, 1, 4]) * resid**2)) / 4)


def test_equal_weights_give_the_plain_mean():
    rng = np.random.default_rng(1)
    d = rng.normal(size=50)
    est, se, _ = weighted_mean_change(d, np.full(50, 3.0))
    assert np.isclose(est, d.mean())
    # sandwich SE of the mean = sqrt(sum (d - mean)^2) / n
    assert np.isclose(se, np.sqrt(np.sum((d - d.mean()) ** 2)) / 50)


def test_change_estimator_returns_mean_variance_df():
    df = pd.DataFrame({"y1": [2.0, 4.0, np.nan, 7.0], "y0": [1.0, 1.0, 1.0, 1.0]})
    est, var, dfc = change_estimator("y1", "y0")(df)
    d = np.array([1.0, 3.0, 6.0])
    assert est == d.mean() and np.isclose(var, d.var(ddof=1) / 3) and dfc == 2
