"""Batched refits of case-weighted resamples (pipeline/sem/bootstrap_refit.py).

Every batched quantity is held to the engine's own single-fit function on the resample written
out as data (rows repeated as drawn): log-likelihood and gradient (``information.gradient``),
observed and expected information, and the refitted estimates (``estimate.fisher_scoring``).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import case_inputs

from pipeline.sem.bootstrap import _counts, _setup, resample_block
from pipeline.sem.bootstrap_refit import (
    expected_information,
    loglik_grad,
    observed_information,
    pattern_stats,
    refit_draws,
)
from pipeline.sem.estimate import fisher_scoring
from pipeline.sem.fiml import split_patterns
from pipeline.sem.information import gradient, information_expected, information_observed

CASES = ["mediation_serial3_fiml", "riclpm_2x3_proper_fiml"]  # sem() paths; lavaan() latents


@pytest.fixture(scope="module")
def prepared(fitted):
    out = {}
    for case in CASES:
        syntax, data, _ = case_inputs(case)
        fit = fitted(case)
        pt, mod = _setup(syntax, data, fit)
        x = np.full((mod.pdat.n_obs, mod.pdat.p), np.nan)
        for pat in mod.pdat.patterns:
            x[np.ix_(pat.rows, pat.obs)] = pat.y
        out[case] = (fit, mod, x)
    return out


@pytest.mark.parametrize("case", CASES)
def test_weighted_loglik_and_gradient_equal_the_resample_as_data(prepared, case):
    fit, mod, x = prepared[case]
    idx = resample_block(3, 0, mod.pdat.n_obs, 4)
    st = pattern_stats(mod, _counts(idx, mod.pdat.n_obs))
    rng = np.random.default_rng(1)
    theta = fit.theta + 0.02 * rng.normal(size=(4, fit.theta.size))
    ll, g = loglik_grad(mod, st, theta)
    for b in range(4):
        ll_ref, g_ref = gradient(mod.ram, theta[b], split_patterns(x[idx[b]]))
        assert ll[b] == pytest.approx(ll_ref, rel=1e-12)
        np.testing.assert_allclose(g[b], g_ref, rtol=1e-9, atol=1e-9 * np.abs(g_ref).max())


@pytest.mark.parametrize("case", CASES)
def test_information_matrices_equal_the_engine(prepared, case):
    fit, mod, _ = prepared[case]
    obs = information_observed(mod.ram, fit.theta, mod.pdat)
    np.testing.assert_allclose(observed_information(mod), obs, rtol=1e-6,
                               atol=1e-6 * np.abs(obs).max())
    st = pattern_stats(mod, np.ones((1, mod.pdat.n_obs)))
    exp = information_expected(mod.ram, fit.theta, mod.pdat)
    np.testing.assert_allclose(expected_information(mod, st, fit.theta[None])[0], exp,
                               rtol=1e-9, atol=1e-9 * np.abs(exp).max())


@pytest.mark.parametrize("case", CASES)
def test_refitted_draws_equal_fisher_scoring_on_the_resample(prepared, case):
    fit, mod, x = prepared[case]
    idx = resample_block(5, 0, mod.pdat.n_obs, 6)
    theta, done = refit_draws(mod, pattern_stats(mod, _counts(idx, mod.pdat.n_obs)))
    checked = 0
    for b in np.flatnonzero(done)[:4]:
        opt = fisher_scoring(mod.ram, split_patterns(x[idx[b]]), fit.theta.copy())
        assert opt.converged
        # both stop at a Newton decrement < 1e-10: within ~1e-5 standard errors of the optimum
        se = np.sqrt(np.diag(fit.vcov))
        assert np.all(np.abs(theta[b] - opt.theta) < 1e-3 * se)
        checked += 1
    assert checked >= 3
