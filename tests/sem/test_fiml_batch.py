"""Batched FIML log-likelihood and gradient (pipeline/sem/fiml_batch.py) and the observed
information built on it (``information.information_observed``): every stacked evaluation equals
the engine's single-evaluation functions (``fiml.loglik``, ``information.gradient``)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import case_inputs

from pipeline.sem import information
from pipeline.sem.bootstrap import _setup
from pipeline.sem.fiml import loglik
from pipeline.sem.fiml_batch import chol_inv, loglik_grad, sample_stats
from pipeline.sem.information import (
    gradient,
    information_observed,
    information_observed_numeric,
)

CASES = ["mediation_serial3_fiml", "riclpm_2x3_proper_fiml", "clpm_2x3_stationary_fiml"]


@pytest.fixture(scope="module")
def prepared(fitted):
    out = {}
    for case in CASES:
        syntax, data, _ = case_inputs(case)
        fit = fitted(case)
        out[case] = (fit, _setup(syntax, data, fit)[1])
    return out


@pytest.mark.parametrize("case", CASES)
def test_each_stacked_evaluation_equals_the_single_one(prepared, case):
    fit, mod = prepared[case]
    rng = np.random.default_rng(11)
    theta = fit.theta + 0.03 * rng.normal(size=(5, fit.theta.size))
    ll, g = loglik_grad(mod.ram, mod.pdat, sample_stats(mod.pdat, 5), theta)
    for a in range(5):
        ll_ref, g_ref = gradient(mod.ram, theta[a], mod.pdat)
        sigma, mu = mod.ram.implied(theta[a])
        assert ll[a] == pytest.approx(ll_ref, rel=1e-12)
        assert ll[a] == pytest.approx(loglik(sigma, mu, mod.pdat), rel=1e-12)
        np.testing.assert_allclose(g[a], g_ref, rtol=1e-9, atol=1e-9 * np.abs(g_ref).max())
    # a result does not depend on the other rows of its batch
    ll1, g1 = loglik_grad(mod.ram, mod.pdat, sample_stats(mod.pdat, 1), theta[2:3])
    assert ll1[0] == ll[2] and np.array_equal(g1[0], g[2])


def _observed_one_by_one(model, theta, data, step=1e-6):
    """The five-point rule column by column with the engine's single gradient (the definition)."""
    k = theta.size
    hess = np.empty((k, k))
    for j in range(k):
        h = step * max(1.0, abs(theta[j]))
        g = []
        for mult in (-2.0, -1.0, 1.0, 2.0):
            t = theta.copy()
            t[j] += mult * h
            g.append(gradient(model, t, data)[1])
        hess[:, j] = (g[0] - 8 * g[1] + 8 * g[2] - g[3]) / (12 * h)
    return -(hess + hess.T) / 2


@pytest.mark.parametrize("case", CASES)
def test_batched_observed_information_equals_the_five_point_rule(prepared, case, monkeypatch):
    fit, mod = prepared[case]
    ref = _observed_one_by_one(mod.ram, fit.theta, mod.pdat)
    got = information_observed_numeric(mod.ram, fit.theta, mod.pdat)
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())
    np.testing.assert_allclose(np.sqrt(np.diag(np.linalg.inv(got))),
                               np.sqrt(np.diag(np.linalg.inv(ref))), rtol=1e-7)
    # batching (memory bound) does not change the result
    monkeypatch.setattr(information, "OBS_BATCH", 7)
    np.testing.assert_array_equal(information_observed_numeric(mod.ram, fit.theta, mod.pdat),
                                  got)


@pytest.mark.parametrize("case", CASES)
def test_analytic_observed_information_equals_the_five_point_rule(prepared, case, monkeypatch):
    """The engine's observed information (analytic in the moments, five-point only for the
    RAM curvature term) is lavaan's numerical Hessian without its rounding noise."""
    fit, mod = prepared[case]
    ref = _observed_one_by_one(mod.ram, fit.theta, mod.pdat)
    got = information_observed(mod.ram, fit.theta, mod.pdat)
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())
    np.testing.assert_allclose(np.sqrt(np.diag(np.linalg.inv(got))),
                               np.sqrt(np.diag(np.linalg.inv(ref))), rtol=1e-7)
    monkeypatch.setattr(information, "OBS_BATCH", 7)
    np.testing.assert_array_equal(information_observed(mod.ram, fit.theta, mod.pdat), got)


def test_observed_information_is_nan_where_the_likelihood_is_undefined(prepared):
    fit, mod = prepared["mediation_serial3_fiml"]
    theta = fit.theta.copy()
    var = [i for i, n in enumerate(fit.free_names) if n == "m1 ~~ m1"]
    theta[var[0]] = -5.0   # an implied covariance that is not positive definite
    assert np.isnan(information_observed(mod.ram, theta, mod.pdat)).all()
    assert np.isnan(information_observed_numeric(mod.ram, theta, mod.pdat)).all()


def test_chol_inv_flags_matrices_that_are_not_positive_definite():
    good = np.array([[2.0, 0.5], [0.5, 1.0]])
    stack = np.stack([good, np.array([[1.0, 2.0], [2.0, 1.0]]), 3 * good])
    w, logdet, ok = chol_inv(stack)
    assert ok.tolist() == [True, False, True]
    np.testing.assert_allclose(w[[0, 2]], np.linalg.inv(stack[[0, 2]]), rtol=1e-12)
    np.testing.assert_allclose(logdet[[0, 2]], np.linalg.slogdet(stack[[0, 2]])[1], rtol=1e-12)
