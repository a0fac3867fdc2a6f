"""Tests for pipeline.stats.pmm: the pieces of one PMM update (mice's remove.lindep, .norm.draw,
matchindex and quantify)."""

from __future__ import annotations

import numpy as np

from pipeline.stats.pmm import match_donors, norm_draw, quantify, remove_lindep


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and their variances (as R's lm / vcov)."""
    X = np.column_stack([np.ones(len(y)), x])
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    r = y - X @ b
    s2 = r @ r / (len(y) - X.shape[1])
    return b, np.diag(xtx_inv) * s2


def test_match_donors_picks_among_d_nearest():
    rng = np.random.default_rng(0)
    obs = rng.normal(size=200)
    mis = rng.normal(size=500) * 1.5
    for _ in range(5):
        idx = match_donors(obs, mis, 5, rng)
        dist = np.abs(obs[None, :] - mis[:, None])
        fifth = np.sort(dist, axis=1)[:, 4]
        assert (dist[np.arange(mis.size), idx] <= fifth + 1e-12).all()
    # All d nearest get used (random choice), including at the edges of the sorted donors.
    idx = np.array([match_donors(obs, np.array([obs.max() + 10]), 5, rng)[0] for _ in range(200)])
    assert set(idx) == set(np.argsort(obs)[-5:])
    # Fewer donors than d: every observed row is a candidate.
    assert set(match_donors(obs[:3], np.zeros(300), 5, rng)) == {0, 1, 2}


def test_norm_draw_centres_on_ols_and_scales_with_sigma():
    rng = np.random.default_rng(1)
    n = 500
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = X @ np.array([2.0, 3.0]) + rng.normal(0, 2, n)
    draws = np.array([norm_draw(X, y, rng)[1] for _ in range(2000)])
    coef, se = _ols(y, X[:, 1])
    assert (np.abs(draws.mean(axis=0) - coef) < 4 * np.sqrt(se / 2000)).all()
    np.testing.assert_allclose(draws.std(axis=0), np.sqrt(se), rtol=0.08)


def test_norm_draw_ridge_on_singular_design():
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    X = np.column_stack([np.ones(50), x, x])
    _coef, beta, ridged = norm_draw(X, 2 * x, rng)
    assert ridged and np.isfinite(beta).all()


def test_remove_lindep():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 100))
    y = a + rng.normal(size=100)
    x = np.column_stack([a, b, a + b, np.full(100, 3.0), y])
    keep = remove_lindep(x, y)
    assert not keep[3] and not keep[4]  # constant; cor(y, y) >= 0.99
    assert keep[:3].sum() == 2  # one of a, b, a + b removed
    assert not remove_lindep(x, np.ones(100)).any()


def test_quantify_orders_levels_by_predictor():
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 3, size=300)
    xo = np.column_stack([np.ones(300), codes * 2.0 + rng.normal(0, 0.3, 300)])
    s = quantify(codes.astype(float), 3, xo)
    lvl = [s[codes == k].mean() for k in range(3)]
    assert abs(np.corrcoef(lvl, [0, 1, 2])[0, 1]) > 0.99
