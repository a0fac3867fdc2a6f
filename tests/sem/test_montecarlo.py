"""Monte Carlo intervals of defined parameters (Preacher & Selig 2012): theory checks."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import ModelError
from pipeline.sem.montecarlo import (
    draw_parameters,
    evaluate_definitions,
    monte_carlo_defined,
    percentile_interval,
)
from pipeline.sem.syntax import Definition, parse_model


def _defs(text: str) -> tuple[Definition, ...]:
    return parse_model("y ~ a*x + b*m\n" + text).definitions


def test_linear_definitions_match_the_delta_method_moments():
    """For a linear g, g(theta*) is exactly normal with variance J V J'."""
    theta = np.array([0.5, -0.2])
    vcov = np.array([[0.04, 0.01], [0.01, 0.09]])
    defs = _defs("f := 2*a + b\ng := f - a\n")
    assert [(d.name, d.expr) for d in defs] == [("f", "2*a + b"), ("g", "f - a")]
    sims = monte_carlo_defined(theta, vcov, ["a", "b"], defs, 200_000, seed=3)
    np.testing.assert_allclose(sims.mean(axis=0), [0.8, 0.3], atol=0.005)
    var_f = 4 * 0.04 + 0.09 + 2 * 2 * 0.01
    var_g = 0.04 + 0.09 + 2 * 0.01
    np.testing.assert_allclose(sims.std(axis=0), np.sqrt([var_f, var_g]), rtol=0.01)


def test_same_seed_same_draws_other_seed_other_draws():
    theta = np.array([0.5, -0.2])
    vcov = np.array([[0.04, 0.01], [0.01, 0.09]])
    defs = _defs("ab := a*b\n")
    one = monte_carlo_defined(theta, vcov, ["a", "b"], defs, 1000, seed=3)
    again = monte_carlo_defined(theta, vcov, ["a", "b"], defs, 1000, seed=3)
    np.testing.assert_array_equal(one, again)
    assert not np.array_equal(one, monte_carlo_defined(theta, vcov, ["a", "b"], defs, 1000, seed=4))


def test_draws_use_the_documented_random_stream():
    """theta* = theta + z root', z from default_rng(seed), root the eigen square root of V."""
    theta = np.array([1.0, 2.0, 3.0])
    vcov = np.array([[1.0, 0.3, 0.0], [0.3, 2.0, 0.5], [0.0, 0.5, 1.5]])
    z = np.random.default_rng(11).standard_normal((5, 3))
    vals, vecs = np.linalg.eigh(vcov)
    expected = theta + z @ (vecs * np.sqrt(vals)).T
    np.testing.assert_allclose(draw_parameters(theta, vcov, 5, 11), expected, rtol=1e-12)


def test_semidefinite_covariance_still_draws():
    vcov = np.array([[1.0, 1.0], [1.0, 1.0]])  # rank 1
    sims = draw_parameters(np.zeros(2), vcov, 2000, 1)
    np.testing.assert_allclose(sims[:, 0], sims[:, 1], atol=1e-7)


def test_product_interval_is_asymmetric_and_matches_the_percentiles():
    """a*b with a, b independent normals: the interval is the percentile interval of the
    products, skewed away from zero (why Monte Carlo beats the symmetric delta interval)."""
    theta = np.array([0.3, 0.3])
    vcov = np.diag([0.01, 0.01])
    sims = monte_carlo_defined(theta, vcov, ["a", "b"], _defs("ab := a*b\n"), 100_000, seed=7)
    lo, hi = percentile_interval(sims, 0.95)
    np.testing.assert_allclose([lo[0], hi[0]], np.percentile(sims[:, 0], [2.5, 97.5]), rtol=1e-12)
    assert hi[0] - 0.09 > 0.09 - lo[0]
    # mean of a product of independent normals: E[ab] = mu_a mu_b
    assert sims[:, 0].mean() == pytest.approx(0.09, abs=0.002)
    # variance of a product of independent normals (Goodman 1960):
    # mu_a^2 s_b^2 + mu_b^2 s_a^2 + s_a^2 s_b^2
    assert sims[:, 0].var() == pytest.approx(2 * 0.09 * 0.01 + 0.0001, rel=0.03)


def test_evaluate_definitions_is_vectorised_and_sequential():
    out = evaluate_definitions(_defs("ab := a*b\nt := ab + a^2\n"),
                               {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])})
    np.testing.assert_array_equal(out["ab"], [3.0, 8.0])
    np.testing.assert_array_equal(out["t"], [4.0, 12.0])


def test_expressions_other_than_arithmetic_are_refused():
    bad = (Definition("x", "__import__('os')"),)
    with pytest.raises(ModelError, match="only arithmetic"):
        evaluate_definitions(bad, {"a": np.zeros(2)})
