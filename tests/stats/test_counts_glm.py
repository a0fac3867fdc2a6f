"""Tests for pipeline/stats/counts_glm.py (Poisson and NB2 regression, IRRs).

Reference: tests/fixtures/counts/make_reference.R on cross.csv (n = 300):

    glm(y ~ x1 + grp + offset(log(months)), family = poisson, data = cross)
    MASS::glm.nb(y ~ x1 + grp + offset(log(months)), data = cross)
    sqrt(diag(vcov(fit))); sqrt(diag(sandwich::vcovHC(fit, type = "HC0")))
    fit$theta; fit$SE.theta; deviance(fit); fit$null.deviance; AIC(fit); logLik(fit)

R's glm stops at a relative deviance change of 1e-8 and keeps the IRLS weights of its last
step, so its SEs differ from the converged ones in the 5th-6th digit (tolerance 2e-4).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import DataError
from pipeline.stats.counts_glm import (
    THETA_MAX,
    check_counts,
    expected_zeros,
    fit_negbin,
    fit_poisson,
    irr_table,
)
from pipeline.status import Status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "counts"
CASES = [("pois", fit_poisson, "y_pois"), ("nb", fit_negbin, "y_nb"),
         ("pois_on_nb", fit_poisson, "y_nb"), ("nb_on_zi", fit_negbin, "y_zi")]


@pytest.fixture(scope="module")
def cross():
    d = pd.read_csv(FIX / "cross.csv")
    x = pd.DataFrame({"(Intercept)": 1.0, "x1": d.x1, "grp": d.grp})
    return d, x, np.log(d.months.to_numpy(float))


@pytest.fixture(scope="module")
def ref():
    return json.loads((FIX / "ref_glm.json").read_text())


@pytest.mark.parametrize("key,fit_fn,col", CASES)
def test_matches_r(cross, ref, key, fit_fn, col):
    d, x, off = cross
    fit, r = fit_fn(x, d[col], off), ref[key]
    assert fit.status is Status.OK and fit.names == tuple(r["names"])
    np.testing.assert_allclose(fit.coef, r["coef"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(fit.se(), r["se"], rtol=2e-4)
    np.testing.assert_allclose(fit.se(robust=True), r["se_hc0"], rtol=2e-4)
    assert fit.deviance == pytest.approx(r["deviance"], abs=1e-5)
    assert fit.null_deviance == pytest.approx(r["null_deviance"], abs=1e-5)
    assert fit.aic == pytest.approx(r["aic"], abs=1e-6)
    assert fit.loglik == pytest.approx(r["loglik"], abs=1e-6)
    assert fit.df_residual == r["df_residual"]
    if fit.family == "negbin":
        assert fit.theta == pytest.approx(r["theta"], rel=1e-6)
        assert fit.se_theta == pytest.approx(r["se_theta"], rel=2e-4)


def test_irr_table_is_exp_of_wald_interval(cross, ref):
    d, x, off = cross
    fit = fit_negbin(x, d.y_nb, off)
    for robust, key in [(False, "se"), (True, "se_hc0")]:
        tab = irr_table(fit, robust=robust)
        se = np.array(ref["nb"][key])
        b = np.array(ref["nb"]["coef"])
        np.testing.assert_allclose(tab.irr, np.exp(b), rtol=1e-6)
        np.testing.assert_allclose(tab.irr_low, np.exp(b - 1.959963984540054 * se), rtol=1e-5)
        np.testing.assert_allclose(tab.irr_high, np.exp(b + 1.959963984540054 * se), rtol=1e-5)
        assert list(tab.term) == ["(Intercept)", "x1", "grp"]
        assert (tab.se_type == ("HC0" if robust else "model")).all()


def test_nb2_on_poisson_data_runs_theta_to_bound(cross):
    d, x, off = cross
    nb, pois = fit_negbin(x, d.y_pois, off), fit_poisson(x, d.y_pois, off)
    assert nb.ok and nb.theta == THETA_MAX and nb.notes
    np.testing.assert_allclose(nb.coef, pois.coef, atol=1e-4)


def test_expected_zeros_formulae(cross):
    d, x, off = cross
    pois, nb = fit_poisson(x, d.y_nb, off), fit_negbin(x, d.y_nb, off)
    assert expected_zeros(pois) == pytest.approx(np.exp(-pois.mu).sum())
    th = nb.theta
    assert expected_zeros(nb) == pytest.approx(((th / (th + nb.mu)) ** th).sum())
    # overdispersed data: Poisson under-predicts zeros, NB2 gets close to what is observed
    observed = int((d.y_nb == 0).sum())
    assert expected_zeros(pois) < observed - 20
    assert abs(expected_zeros(nb) - observed) < 5


def test_refusals_are_statuses_not_exceptions():
    x = pd.DataFrame({"(Intercept)": 1.0, "a": [0.0, 1, 2, 3, 4, 5]})
    assert fit_poisson(x, np.zeros(6)).status is Status.NOT_ESTIMABLE
    assert "every count is 0" in fit_negbin(x, np.zeros(6)).message
    collinear = x.assign(b=2 * x.a)
    fit = fit_negbin(collinear, [0, 1, 2, 1, 3, 2])
    assert fit.status is Status.NOT_ESTIMABLE and "collinear" in fit.message
    small = fit_poisson(x.iloc[:2], [1, 2])
    assert small.status is Status.NOT_ESTIMABLE and "rows" in small.message
    with pytest.raises(ValueError, match="no estimates"):
        small.se()


@pytest.mark.parametrize("bad", [[1, 2, -1], [1, 2.5, 3], [1, np.nan, 2], [1, np.inf, 0]])
def test_non_counts_are_refused_with_positions(bad):
    with pytest.raises(DataError, match="whole numbers"):
        check_counts(np.array(bad, dtype=float))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=30))
def test_check_counts_accepts_every_count(values):
    out = check_counts(np.array(values))
    assert out.dtype == float and np.array_equal(out, values)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(-1000, -1)), min_size=1, max_size=10))
def test_check_counts_refuses_or_accepts_exactly_counts(values):
    arr = np.array(values, dtype=float)
    ok = np.isfinite(arr).all() and (arr >= 0).all() and (arr == np.round(arr)).all()
    if ok:
        assert np.array_equal(check_counts(arr), arr)
    else:
        with pytest.raises(DataError):
            check_counts(arr)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(-2, 2))
def test_offset_shift_moves_only_the_intercept(seed, shift):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(80), rng.normal(size=80)])
    y = rng.poisson(np.exp(0.3 + 0.4 * x[:, 1]))
    if not y.any():
        return
    a, b = fit_poisson(x, y), fit_poisson(x, y, np.full(80, shift))
    np.testing.assert_allclose(b.coef[0], a.coef[0] - shift, atol=1e-7)
    np.testing.assert_allclose(b.coef[1:], a.coef[1:], atol=1e-7)


def test_same_input_same_output(cross):
    d, x, off = cross
    a, b = fit_negbin(x, d.y_nb, off), fit_negbin(x, d.y_nb, off)
    assert a.coef.tobytes() == b.coef.tobytes() and a.cov_hc0.tobytes() == b.cov_hc0.tobytes()
