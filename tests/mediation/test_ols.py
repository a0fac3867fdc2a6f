"""Closed-form model-6 OLS from Gram matrices (pipeline/mediation/ols.py)."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from mediation_helpers import chain_design

from pipeline.mediation.ols import Layout, chain_coefficients, gram, ols_equations, standardise


def _sm(y, X):
    return sm.OLS(y, X).fit()


def test_coefficients_and_ses_equal_statsmodels():
    Z = chain_design()
    layout = Layout(n_cov=2, k=3)
    Zs, scaling = standardise(Z)
    co = chain_coefficients(gram(Zs), layout, scaling)
    # M2 ~ 1 + x + age + female + m1
    f = _sm(Z[:, 5], Z[:, :5])
    assert np.isclose(co.a[1], f.params[1], rtol=1e-10)
    assert np.isclose(co.d[1, 0], f.params[4], rtol=1e-10)
    np.testing.assert_allclose(co.cov_m[1], f.params[2:4], rtol=1e-9)
    fy = _sm(Z[:, 7], Z[:, :7])
    np.testing.assert_allclose(co.b, fy.params[4:7], rtol=1e-10)
    assert np.isclose(co.cp, fy.params[1], rtol=1e-10)
    fc = _sm(Z[:, 7], Z[:, :4])
    assert np.isclose(co.c, fc.params[1], rtol=1e-10)
    assert np.isclose(co.sd_x, Z[:, 1].std(ddof=1)) and np.isclose(co.sd_y, Z[:, 7].std(ddof=1))
    eqs = ols_equations(Zs, layout, scaling)
    for eq, fit in ((eqs[1], f), (eqs[3], fy), (eqs[4], fc)):
        np.testing.assert_allclose(eq.est, fit.params[1:], rtol=1e-9)
        np.testing.assert_allclose(eq.se, fit.bse[1:], rtol=1e-9)
        np.testing.assert_allclose(eq.pvalue, fit.pvalues[1:], rtol=1e-6)
        assert eq.df == fit.df_resid


def test_batched_gram_stack_equals_one_by_one():
    Z = chain_design()
    layout = Layout(n_cov=2, k=3)
    Zs, scaling = standardise(Z)
    rng = np.random.default_rng(0)
    stack = np.stack([gram(Zs[rng.integers(0, len(Z), len(Z))]) for _ in range(4)])
    batched = chain_coefficients(stack, layout, scaling)
    for i in range(4):
        single = chain_coefficients(stack[i], layout, scaling)
        np.testing.assert_allclose(batched.d[i], single.d, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(batched.b[i], single.b, rtol=1e-12)
