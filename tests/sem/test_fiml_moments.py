"""All-patterns-at-once FIML moment derivatives (pipeline/sem/fiml_moments.py): each equals the
per-pattern definition of pipeline/sem/fiml.py, with many patterns and whatever the chunking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.sem import fiml_moments
from pipeline.sem.fiml import (
    casewise_scores,
    expected_information,
    loglik,
    loglik_and_gradient,
    split_patterns,
)
from pipeline.sem.fiml_moments import first_order_moments, moment_derivatives, stack_patterns


def _panel(seed: int, n: int = 300, p: int = 6, miss: float = 0.3) -> np.ndarray:
    """Correlated scores with scattered missing values: dozens of missing-data patterns."""
    rng = np.random.default_rng(seed)
    cov = 0.4 * np.ones((p, p)) + 0.6 * np.eye(p)
    x = rng.multivariate_normal(np.linspace(-1, 1, p), cov, size=n)
    x[rng.random((n, p)) < miss] = np.nan
    return x


def _moments(seed: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    """A positive definite Sigma and a mu away from the data's (a non-zero gradient)."""
    rng = np.random.default_rng(seed + 100)
    a = rng.normal(size=(p, p))
    return a @ a.T / p + np.eye(p), rng.normal(scale=0.3, size=p)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_gradient_and_expected_information_equal_the_per_pattern_definition(seed):
    pdat = split_patterns(_panel(seed))
    assert pdat.n_patterns > 20
    sigma, mu = _moments(seed, pdat.p)
    ll, grad, info, cond = moment_derivatives(sigma, mu, stack_patterns(pdat), "expected")
    ll_ref, grad_ref = loglik_and_gradient(sigma, mu, pdat)
    assert ll == pytest.approx(ll_ref, rel=1e-12)
    assert ll == pytest.approx(loglik(sigma, mu, pdat), rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-10 * np.abs(grad_ref).max())
    ref = expected_information(sigma, mu, pdat)
    np.testing.assert_allclose(info, ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())
    assert 0 < cond <= 1
    none = moment_derivatives(sigma, mu, stack_patterns(pdat), None)
    assert none[2] is None and none[0] == ll and np.array_equal(none[1], grad)


def test_observed_hessian_is_the_derivative_of_the_gradient():
    pdat = split_patterns(_panel(4, p=4))
    sigma, mu = _moments(4, 4)
    _, _, neg_h, _ = moment_derivatives(sigma, mu, stack_patterns(pdat), "observed")
    p, h = 4, 1e-5
    r, c = np.triu_indices(p)[1], np.triu_indices(p)[0]
    theta = np.concatenate([mu, sigma[r, c]])

    def grad(t):
        s = np.zeros((p, p))
        s[r, c] = t[p:]
        s[c, r] = t[p:]
        return loglik_and_gradient(s, t[:p], pdat)[1]

    num = np.column_stack([(grad(theta + h * e) - grad(theta - h * e)) / (2 * h)
                           for e in np.eye(theta.size)])
    np.testing.assert_allclose(-neg_h, num, rtol=1e-6, atol=1e-6 * np.abs(num).max())


def test_non_positive_definite_sigma_gives_minus_infinity():
    pdat = split_patterns(_panel(5, p=3))
    bad = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert moment_derivatives(bad, np.zeros(3), stack_patterns(pdat))[:3] == (-np.inf, None, None)


def test_stack_is_built_once_per_data_set():
    pdat = split_patterns(_panel(6))
    assert stack_patterns(pdat) is stack_patterns(pdat)
    other = split_patterns(_panel(7))
    assert stack_patterns(other) is not stack_patterns(pdat)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(1, 5), miss=st.floats(0.0, 0.6),
       chunk=st.integers(1, 50), k=st.integers(1, 12))
def test_first_order_moments_equal_the_casewise_scores_cross_product(seed, p, miss, chunk, k):
    """Property: for any data, chunk size and parameterisation (projected first when there are
    few parameters, accumulated in moment space otherwise), the cross-product of the casewise
    scores."""
    x = _panel(seed, n=60, p=p, miss=miss)
    x[np.isnan(x).all(axis=1), 0] = 0.5
    pdat = split_patterns(x)
    sigma, mu = _moments(seed, p)
    scores = casewise_scores(sigma, mu, pdat)
    delta = np.random.default_rng(seed).normal(size=(scores.shape[1], k))
    old = fiml_moments.SCORE_CHUNK
    try:
        fiml_moments.SCORE_CHUNK = chunk
        got_m = first_order_moments(sigma, mu, pdat)
        got_p = first_order_moments(sigma, mu, pdat, delta)
    finally:
        fiml_moments.SCORE_CHUNK = old
    ref_m = scores.T @ scores
    ref_p = (scores @ delta).T @ (scores @ delta)
    np.testing.assert_allclose(got_m, ref_m, rtol=1e-9, atol=1e-11 * np.abs(ref_m).max())
    np.testing.assert_allclose(got_p, ref_p, rtol=1e-9, atol=1e-11 * np.abs(ref_p).max())
