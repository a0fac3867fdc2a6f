from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pipeline.sem.fiml import (
    casewise_scores,
    expected_information,
    loglik,
    loglik_and_gradient,
    split_patterns,
)
from pipeline.sem.ram import vech_indices


def _data(seed=1, n=150, p=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) @ np.array([[1, .5, .2], [0, 1, .3], [0, 0, 1]])
    x[rng.random((n, p)) < 0.25] = np.nan
    x[:3] = np.nan  # empty rows are dropped
    return x


SIG = np.array([[1.2, .4, .1], [.4, 1.5, .3], [.1, .3, 1.1]])
MU = np.array([.1, -.2, .05])


def _unpack(t, p=3):
    r, c = vech_indices(p)
    s = np.zeros((p, p))
    s[r, c] = t[p:]
    s[c, r] = t[p:]
    return s, t[:p]


def test_loglik_is_the_sum_of_casewise_marginal_normal_densities():
    x = _data()
    pdat = split_patterns(x)
    n_empty = int(np.isnan(x).all(axis=1).sum())
    assert n_empty >= 3 and pdat.n_dropped == n_empty and pdat.n_obs == len(x) - n_empty
    expected = 0.0
    for row in x:
        o = ~np.isnan(row)
        if o.any():
            expected += stats.multivariate_normal(MU[o], SIG[np.ix_(o, o)]).logpdf(row[o])
    assert loglik(SIG, MU, pdat) == pytest.approx(expected, abs=1e-8)


def test_gradient_and_scores_match_numerical_derivatives():
    pdat = split_patterns(_data())
    r, c = vech_indices(3)
    t = np.concatenate([MU, SIG[r, c]])
    _, g = loglik_and_gradient(SIG, MU, pdat)
    num = np.array([(loglik(*_unpack(t + h), pdat) - loglik(*_unpack(t - h), pdat)) / 2e-6
                    for h in np.eye(len(t)) * 1e-6])
    np.testing.assert_allclose(g, num, atol=1e-5)
    np.testing.assert_allclose(casewise_scores(SIG, MU, pdat).sum(axis=0), g, atol=1e-10)


def test_expected_information_is_the_score_covariance_under_the_model():
    """E[s s'] = I: check on a large simulated complete sample drawn from (SIG, MU)."""
    rng = np.random.default_rng(7)
    x = rng.multivariate_normal(MU, SIG, size=40000)
    pdat = split_patterns(x)
    s = casewise_scores(SIG, MU, pdat)
    info = expected_information(SIG, MU, pdat)
    np.testing.assert_allclose(s.T @ s / len(x), info / len(x), atol=0.03)


def test_non_positive_definite_sigma_gives_minus_infinity():
    pdat = split_patterns(_data())
    bad = SIG.copy()
    bad[0, 1] = bad[1, 0] = 5.0
    assert loglik(bad, MU, pdat) == -np.inf
    assert loglik_and_gradient(bad, MU, pdat)[1] is None
