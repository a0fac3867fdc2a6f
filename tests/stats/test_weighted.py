"""Tests for pipeline.stats.weighted: the Hájek weighted mean and its linearisation SE."""

from __future__ import annotations

import numpy as np

from pipeline.stats.weighted import hajek_mean


def test_hajek_mean_hand_computed():
    d = np.array([1.0, 3.0, np.nan, 5.0])
    w = np.array([1.0, 1.0, 2.0, 2.0])
    est, se, n = hajek_mean(d, w)
    assert n == 3
    assert est == (1 + 3 + 10) / 4
    resid = np.array([1, 3, 5]) - 3.5
    assert np.isclose(se, np.sqrt(np.sum(np.array([1, 1, 4]) * resid**2)) / 4)


def test_equal_weights_give_the_plain_mean():
    rng = np.random.default_rng(1)
    d = rng.normal(size=50)
    est, se, _ = hajek_mean(d, np.full(50, 3.0))
    assert np.isclose(est, d.mean())
    # sandwich SE of the mean = sqrt(sum (d - mean)^2) / n
    assert np.isclose(se, np.sqrt(np.sum((d - d.mean()) ** 2)) / 50)


def test_unequal_weights_hand_computed():
    """Linearisation SE written out by hand (survey::svymean with ids = ~1 reports it times
    sqrt(n / (n - 1)), its with-replacement variance)."""
    y = np.array([2.0, 4.0, 7.0, 1.0, 5.0])
    w = np.array([1.0, 2.0, 0.5, 3.0, 1.5])
    est, se, n = hajek_mean(y, w)
    assert est == 24 / 8
    by_hand = np.sqrt(np.sum(w**2 * (y - 3.0) ** 2)) / 8
    assert np.isclose(se, by_hand) and n == 5


def test_zero_negative_and_missing_weights_are_left_out():
    est, se, n = hajek_mean(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.0, -1.0, np.nan]))
    assert n == 1 and np.isnan(est) and np.isnan(se)
