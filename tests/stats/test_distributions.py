"""Tests for pipeline/stats/distributions.py: every function against the ``scipy.stats`` call it
replaces, bit for bit (same values, same NaN / infinity at the edges, same sign of zero, a NumPy
scalar for scalar input). scipy.stats is the reference here (itself held against R's ``pnorm``,
``qt``, ``pchisq``, ... by scipy's own suite); the pipeline's modules no longer import it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pipeline.stats import distributions as D

RNG = np.random.default_rng(20221201)
EDGE_X = np.array([-np.inf, -40.0, -1.0, -0.0, 0.0, 1e-300, 0.5, 1.0, 3.0, 40.0, 1e6, np.inf,
                   np.nan])
EDGE_Q = np.array([-0.1, 0.0, 1e-300, 1e-12, 0.025, 0.5, 0.975, 1 - 1e-12, 1.0, 1.1, np.nan])
DF = np.array([-1.0, 0.0, 0.5, 1.0, 2.5, 7.0, 30.0, 1e4, np.inf, np.nan])


def same(a, b) -> None:
    """Equal to the last bit, NaN where NaN, the same sign of zero and the same kind of result."""
    assert type(a) is type(b) or (isinstance(a, np.ndarray) and isinstance(b, np.ndarray))
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)
    num = ~np.isnan(a)
    assert np.array_equal(np.signbit(a[num]), np.signbit(b[num]))  # (a NaN's sign: not shown)


def grid(*axes):
    mesh = np.meshgrid(*axes, indexing="ij")
    return [m.ravel() for m in mesh]


def test_normal():
    x = np.r_[EDGE_X, RNG.normal(0, 4, 500)]
    q = np.r_[EDGE_Q, RNG.uniform(0, 1, 500)]
    same(D.norm_cdf(x), stats.norm.cdf(x))
    same(D.norm_sf(x), stats.norm.sf(x))
    same(D.norm_ppf(q), stats.norm.ppf(q))
    same(D.norm_ppf(0.975), stats.norm.ppf(0.975))
    same(D.norm_ppf(0.5), stats.norm.ppf(0.5))
    same(D.norm_sf(1.96), stats.norm.sf(1.96))
    same(D.norm_sf([0.5, 1.0]), stats.norm.sf([0.5, 1.0]))
    same(D.norm_cdf(-0.3), stats.norm.cdf(-0.3))


def test_student_t():
    x, df = grid(np.r_[EDGE_X, RNG.normal(0, 3, 40)], DF)
    same(D.t_sf(x, df), stats.t.sf(x, df))
    q, df = grid(np.r_[EDGE_Q, RNG.uniform(0, 1, 40)], DF)
    same(D.t_ppf(q, df), stats.t.ppf(q, df))
    same(D.t_ppf(0.975, 12), stats.t.ppf(0.975, 12))
    same(D.t_sf(2.1, 12.0), stats.t.sf(2.1, 12.0))
    same(D.t_ppf(np.array([0.025, 0.975]), 5), stats.t.ppf(np.array([0.025, 0.975]), 5))


def test_chi_square():
    x, df = grid(np.r_[EDGE_X, RNG.uniform(0, 100, 40)], DF)
    same(D.chi2_sf(x, df), stats.chi2.sf(x, df))
    same(D.chi2_cdf(x, df), stats.chi2.cdf(x, df))
    same(D.chi2_sf(3.2, 2), stats.chi2.sf(3.2, 2))
    x, df, nc = grid(np.r_[EDGE_X, RNG.uniform(0, 80, 12)], DF, [-1.0, 0.0, 0.3, 5.0, 60.0,
                                                                     np.nan])
    same(D.ncx2_cdf(x, df, nc), stats.ncx2.cdf(x, df, nc))
    same(D.ncx2_cdf(12.5, 4.0, 3.0), stats.ncx2.cdf(12.5, 4.0, 3.0))


def test_noncentral_t_and_f():
    x, df, nc = grid(np.r_[EDGE_X, RNG.normal(0, 4, 12)], DF, [-3.0, 0.0, 0.7, 4.0, np.nan])
    same(D.nct_cdf(x, df, nc), stats.nct.cdf(x, df, nc))
    same(D.nct_cdf(2.0, 30.0, 1.5), stats.nct.cdf(2.0, 30.0, 1.5))
    q, a, b = grid(np.r_[EDGE_Q, RNG.uniform(0, 1, 8)], DF, DF)
    same(D.f_ppf(q, a, b), stats.f.ppf(q, a, b))
    same(D.f_ppf(0.975, 4, 600), stats.f.ppf(0.975, 4, 600))


def test_logistic():
    x = np.r_[EDGE_X, RNG.normal(0, 6, 500)]
    same(D.logistic_cdf(x), stats.logistic.cdf(x))
    same(D.logistic_pdf(x), stats.logistic.pdf(x))
    same(D.logistic_pdf(0.3), stats.logistic.pdf(0.3))


@pytest.mark.parametrize("x", [np.array([]), np.array([3.0]), np.array([2.0, 2.0, 1.0, 2.0]),
                               np.array([[1.0, 5.0], [5.0, -2.0]]), np.array([1.0, np.nan]),
                               np.arange(10.0)[::-1]])
def test_average_ranks_cases(x):
    same(D.average_ranks(x), stats.rankdata(x, method="average").astype(float).ravel())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 5) | st.floats(-1e3, 1e3, allow_nan=False), max_size=60))
def test_average_ranks_property(values):
    x = np.array(values, dtype=float)
    same(D.average_ranks(x), stats.rankdata(x, method="average").astype(float))


def test_the_pipeline_does_not_import_scipy_stats_for_these():
    """Only the modules that need more of scipy.stats than these functions import it."""
    import subprocess
    import sys
    code = ("import sys; import pipeline.stats.distributions, pipeline.stats.pooling, "
            "pipeline.stats.convergence, pipeline.sem.fit, pipeline.mediation.bootstrap; "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
