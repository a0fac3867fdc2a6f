"""pipeline.healthcare.bootstrap: a weighted fit equals the unweighted fit of the repeated
rows (so a resample is its case weights), for every draw at once."""

from __future__ import annotations

import numpy as np
from scipy import special

from pipeline.healthcare.bootstrap import (
    _digamma_sums,
    batched_count_fit,
    batched_wls,
    resample_weights,
)
from pipeline.stats.counts_glm import fit_negbin, fit_poisson


def _data(n=150, seed=3):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    mu = np.exp(0.4 + 0.3 * x[:, 1] - 0.2 * x[:, 2])
    y = rng.negative_binomial(1.5, 1.5 / (1.5 + mu)).astype(float)
    return rng, x, y


def test_digamma_sums_are_exact():
    th = np.array([0.3, 2.0, 50.0])
    dig, tri = _digamma_sums(th, 12)
    y = np.arange(13)
    np.testing.assert_allclose(dig, special.digamma(th[:, None] + y) - special.digamma(
        th[:, None]), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(tri, special.polygamma(1, th[:, None] + y) - special.polygamma(
        1, th[:, None]), rtol=1e-9, atol=1e-12)


def test_weighted_draws_equal_fits_of_the_resamples():
    rng, x, y = _data()
    w = resample_weights(rng, len(y), 4)
    assert (w.sum(axis=1) == len(y)).all()
    full_nb, full_p = fit_negbin(x, y), fit_poisson(x, y)
    nb, ok = batched_count_fit(x, y, w, full_nb.coef, full_nb.theta)
    po, ok_p = batched_count_fit(x, y, w, full_p.coef, None)
    assert ok.all() and ok_p.all()
    lin = batched_wls(x, x[:, 1] * 2 + y, w)
    for b in range(4):
        rows = np.repeat(np.arange(len(y)), w[b].astype(int))
        np.testing.assert_allclose(nb[b], fit_negbin(x[rows], y[rows]).coef, atol=1e-7)
        np.testing.assert_allclose(po[b], fit_poisson(x[rows], y[rows]).coef, atol=1e-8)
        ls = np.linalg.lstsq(x[rows], (x[:, 1] * 2 + y)[rows], rcond=None)[0]
        np.testing.assert_allclose(lin[b], ls, atol=1e-10)


def test_unit_weights_reproduce_the_engine():
    _, x, y = _data(seed=4)
    fit = fit_negbin(x, y)
    beta, ok = batched_count_fit(x, y, np.ones((1, len(y))), fit.coef * 0.9, fit.theta * 2)
    assert ok.all()
    np.testing.assert_allclose(beta[0], fit.coef, atol=1e-7)
