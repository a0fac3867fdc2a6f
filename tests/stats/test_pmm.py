"""Tests for pipeline.stats.pmm: the pieces of one PMM update (mice's remove.lindep, .norm.draw,
matchindex and quantify)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stats.pmm import (
    lindep_from_gram,
    match_donors,
    norm_draw,
    pmm_update,
    quantify,
    remove_lindep,
)


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


# --- the shared-cross-product pieces (issue 14): same decisions and draws as the originals ---

def _design_case(seed: int, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Intercept + predictors of one kind (continuous, discrete with ties, collinear, constant)."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, n))
    cols = {"continuous": [a, b, rng.normal(size=n) + 40],
            "discrete": [rng.integers(0, 3, n).astype(float), rng.integers(0, 2, n) * 1.0],
            "collinear": [a, b, a + b],
            "constant": [a, np.full(n, 2.0), b],
            "near_y": [a, b]}[kind]
    x = np.column_stack([np.ones(n), *cols])
    y = x[:, 1] + rng.normal(size=n) * (0.01 if kind == "near_y" else 1.0)
    return x, y


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 80),
       kind=st.sampled_from(["continuous", "discrete", "collinear", "constant", "near_y"]))
def test_lindep_from_gram_decides_as_remove_lindep(seed, n, kind):
    x, y = _design_case(seed, n, kind)
    xtx, xty = x.T @ x, x.T @ y
    ref = remove_lindep(x[:, 1:], y)
    np.testing.assert_array_equal(lindep_from_gram(xtx, xty, float(y @ y)), ref)
    try:
        inv = np.linalg.inv(xtx)
    except np.linalg.LinAlgError:
        return
    np.testing.assert_array_equal(lindep_from_gram(xtx, xty, float(y @ y), inv), ref)


def _reference_update(xo, xm, y, rng, ridge=1e-5, donors=5):
    """The update as the pieces were first strung together (mice.py before issue 14)."""
    keep = np.concatenate([[True], remove_lindep(xo[:, 1:], y)])
    coef, beta, ridged = norm_draw(xo[:, keep], y, rng, ridge)
    return match_donors(xo[:, keep] @ coef, xm[:, keep] @ beta, donors, rng), keep[1:], ridged


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(12, 90),
       kind=st.sampled_from(["continuous", "discrete", "collinear", "constant", "near_y"]))
def test_pmm_update_draws_exactly_as_the_pieces(seed, n, kind):
    """Same random draws, same donors, same flags: the shortcut changes the cost only."""
    x, y = _design_case(seed, n, kind)
    miss = np.random.default_rng(seed + 1).uniform(size=n) < 0.4
    miss[:2], miss[-4:] = True, False
    xo, xm, yo = x[~miss], x[miss], y[~miss]
    got = pmm_update(xo, xm, yo, np.random.default_rng(seed))
    ref = _reference_update(xo, xm, yo, np.random.default_rng(seed))
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_array_equal(got[1], ref[1])
    assert got[2] == ref[2]


def test_norm_draw_with_given_cross_products_is_the_same_draw():
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(60), rng.normal(size=(60, 2))])
    y = rng.normal(size=60)
    a = norm_draw(X, y, np.random.default_rng(9))
    b = norm_draw(X, y, np.random.default_rng(9), xtx=X.T @ X, xty=X.T @ y)
    for u, v in zip(a[:2], b[:2], strict=True):
        np.testing.assert_array_equal(u, v)
