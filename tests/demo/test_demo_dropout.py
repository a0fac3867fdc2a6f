"""pipeline.demo.dropout: calibrated rejective sampling gives exact Ns and MAR selection."""

from __future__ import annotations

import numpy as np

from pipeline.demo.dropout import calibrated_draw, observed_gm_mean, observed_ucla_sum


def test_calibrated_draw_hits_the_size_and_follows_the_predictor():
    rng = np.random.default_rng(3)
    lin = np.linspace(-2, 2, 600)
    draw = calibrated_draw(rng, lin, 180)
    assert draw.dtype == bool and draw.sum() == 180
    assert lin[draw].mean() > lin[~draw].mean()


def test_calibrated_draw_edge_cases():
    rng = np.random.default_rng(0)
    assert calibrated_draw(rng, np.zeros(0), 5).size == 0
    assert not calibrated_draw(rng, np.zeros(10), 0).any()


def test_observed_scores_prorate_and_fill_with_the_sample_mean():
    items = {
        "lon1": np.array([1.0, np.nan, np.nan]),
        "lon2": np.array([2.0, 3.0, np.nan]),
        "lon3": np.array([3.0, np.nan, np.nan]),
    }
    np.testing.assert_allclose(observed_ucla_sum(items), [6.0, 9.0, 7.5])
    gm = {f"gm{i}": np.array([float(i), np.nan]) for i in range(1, 5)}
    np.testing.assert_allclose(observed_gm_mean(gm), [2.5, 2.5])
