"""Tests for pipeline/stats/counts_zi.py (zero-inflated Poisson / NB2 and the model choice).

Reference: tests/fixtures/counts/make_reference.R on cross.csv (y_zi: NB2 with 25% structural
zeros whose probability depends on x1):

    pscl::zeroinfl(y_zi ~ x1 + grp + offset(log(months)) | x1, data = cross,
                   dist = "poisson" | "negbin", control = zeroinfl.control(reltol = 1e-12))
    summary(fit)$coefficients; fit$theta; fit$SE.logtheta; logLik(fit); AIC(fit)
    sum(predict(fit, type = "prob")[, 1])          # expected zeros

pscl's SEs come from optim's finite-difference Hessian (tolerance 1e-4 relative).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.stats.counts_glm import fit_negbin, fit_poisson
from pipeline.stats.counts_zi import choose_count_model, fit_zeroinfl, lr_test_nb
from pipeline.status import Status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "counts"


@pytest.fixture(scope="module")
def cross():
    d = pd.read_csv(FIX / "cross.csv")
    x = pd.DataFrame({"(Intercept)": 1.0, "x1": d.x1, "grp": d.grp})
    return d, x, x[["(Intercept)", "x1"]], np.log(d.months.to_numpy(float))


@pytest.mark.parametrize("key,dist", [("zip", "poisson"), ("zinb", "negbin")])
def test_matches_pscl(cross, key, dist):
    d, x, z, off = cross
    r = json.loads((FIX / "ref_zi.json").read_text())[key]
    fit = fit_zeroinfl(x, z, d.y_zi, off, dist=dist)
    assert fit.status is Status.OK and fit.family == key
    np.testing.assert_allclose(fit.count, r["count"][:3], atol=5e-5)
    np.testing.assert_allclose(fit.zero, r["zero"], atol=5e-5)
    se = np.sqrt(np.diag(fit.cov))
    np.testing.assert_allclose(se[:3], r["count_se"][:3], rtol=1e-4)
    np.testing.assert_allclose(se[3:5], r["zero_se"], rtol=1e-4)
    assert fit.loglik == pytest.approx(r["loglik"], abs=1e-6)
    assert fit.aic == pytest.approx(r["aic"], abs=1e-5)
    assert fit.expected_zeros == pytest.approx(r["expected_zeros"], abs=1e-3)
    if dist == "negbin":
        assert fit.theta == pytest.approx(r["theta"], rel=1e-4)
        assert fit.se_logtheta == pytest.approx(r["se_logtheta"], rel=1e-4)
    tab = fit.table()
    assert list(tab.part) == ["count"] * 3 + ["zero"] * 2
    np.testing.assert_allclose(tab.ratio, np.exp(np.r_[fit.count, fit.zero]))


def test_lr_test_is_halved_chi2(cross):
    d, x, _, off = cross
    pois, nb = fit_poisson(x, d.y_nb, off), fit_negbin(x, d.y_nb, off)
    lr, p = lr_test_nb(pois, nb)
    assert lr == pytest.approx(2 * (nb.loglik - pois.loglik))
    from scipy import stats
    assert p == pytest.approx(stats.chi2.sf(lr, 1) / 2)


def test_choice_on_the_fixtures(cross):
    d, x, z, off = cross
    assert choose_count_model(x, d.y_pois, off).chosen == "poisson"
    nb = choose_count_model(x, d.y_nb, off)
    assert nb.chosen == "negbin" and "overdispersed" in nb.reason
    # y_zi has structural zeros, but NB2 already predicts as many zeros as are observed
    # (167.9 vs 166): the rule keeps NB2 and does not try the zero-inflated model
    zi = choose_count_model(x, d.y_zi, off, z=z)
    assert zi.chosen == "negbin" and "zeros as expected" in zi.reason
    assert set(zi.table.model) == {"poisson", "negbin"}


def test_choice_takes_zero_inflation_when_zeros_are_in_excess():
    rng = np.random.default_rng(7)
    n = 400
    x1 = rng.normal(size=n)
    y = np.where(rng.random(n) < 0.35, 0, rng.poisson(np.exp(1.6 + 0.3 * x1)))
    x = pd.DataFrame({"(Intercept)": 1.0, "x1": x1})
    choice = choose_count_model(x, y)
    assert choice.chosen in {"zip", "zinb"}
    assert "zero-inflated model's AIC is lower" in choice.reason
    fit = choice.fits[choice.chosen]
    # the structural-zero share is recovered (logit^-1 of the zero intercept near 0.35)
    assert 1 / (1 + np.exp(-fit.zero[0])) == pytest.approx(0.35, abs=0.06)
    assert fit.expected_zeros == pytest.approx((y == 0).sum(), rel=0.05)


def test_no_zeros_is_not_estimable(cross):
    _, x, z, _ = cross
    fit = fit_zeroinfl(x, z, np.arange(1, 301))
    assert fit.status is Status.NOT_ESTIMABLE and "no zeros" in fit.message


def test_zinb_without_overdispersion_points_to_zip():
    rng = np.random.default_rng(7)
    n = 400
    x1 = rng.normal(size=n)
    y = np.where(rng.random(n) < 0.35, 0, rng.poisson(np.exp(1.6 + 0.3 * x1)))
    x = pd.DataFrame({"(Intercept)": 1.0, "x1": x1})
    fit = fit_zeroinfl(x, pd.DataFrame({"(Intercept)": np.ones(n)}), y, dist="negbin")
    assert fit.status is Status.NOT_ESTIMABLE and "zero-inflated Poisson" in fit.message
    choice = choose_count_model(x, y)
    assert choice.chosen == "zip"
    assert choice.table.set_index("model").loc["zinb", "status"] == "not_estimable"


def test_choice_when_nothing_is_estimable(cross):
    _, x, _, _ = cross
    choice = choose_count_model(x, np.zeros(300))
    assert choice.chosen == "none" and "every count is 0" in choice.reason
