"""Tests for pipeline/stats/counts_glmm.py (random-intercept Poisson / NB2 GLMM by Laplace).

Reference: tests/fixtures/counts/make_reference.R on long.csv (150 people, waves T0-T2 with
dropout, random-intercept SD 0.6, true IRRs 0.8 and 0.7):

    glmer(y_pois ~ wave + age + (1 | id), data = long, family = poisson, nAGQ = 1)
    glmer(y_pois ~ wave + (1 | id), data = long, family = poisson, nAGQ = 1)
    glmmTMB(y_nb ~ wave + age + (1 | id), data = long, family = nbinom2)
    glmmTMB(y_pois ~ wave + age + (1 | id), data = long, family = poisson)
    glmer(y_pois ~ wave + offset(log(months)) + (1 | id), data = long, family = poisson)
    glmmTMB(y_nb ~ wave + offset(log(months)) + (1 | id), data = long, family = nbinom2)
    fixef(fit); sqrt(diag(vcov(fit))); VarCorr(fit); logLik(fit); AIC(fit); sigma(fit)

lme4's SEs come from its finite-difference Hessian and its optimiser stops near 1e-6
(tolerances: estimates 5e-5, SEs 1e-4 relative, log-likelihood 1e-5).
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
from pipeline.stats.counts_glmm import (
    choose_glmm_family,
    fit_count_glmm,
    wave_design,
    wave_irr,
)
from pipeline.status import Status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "counts"
WAVES = ["T0", "T1", "T2"]
CASES = [("glmer_pois", "poisson", ["age"], "y_pois"),
         ("glmer_pois_wave", "poisson", [], "y_pois"),
         ("tmb_nb", "negbin", ["age"], "y_nb"),
         ("tmb_pois", "poisson", ["age"], "y_pois"),
         ("glmer_pois_offset", "poisson", [], "y_pois"),
         ("tmb_nb_offset", "negbin", [], "y_nb")]


@pytest.fixture(scope="module")
def long():
    return pd.read_csv(FIX / "long.csv")


@pytest.mark.parametrize("key,family,covs,col", CASES)
def test_matches_r(long, key, family, covs, col):
    r = json.loads((FIX / "ref_glmm.json").read_text())[key]
    exposure = "months" if key.endswith("_offset") else None
    fit, tab = wave_irr(long, col, "wave", "id", WAVES, covs, family, exposure=exposure)
    assert fit.status is Status.OK and fit.names == tuple(r["names"])
    np.testing.assert_allclose(fit.coef, r["fixef"], atol=5e-5)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), r["se"], rtol=1e-4)
    assert fit.sd == pytest.approx(r["sd"], rel=2e-5)
    assert fit.loglik == pytest.approx(r["loglik"], abs=1e-5)
    assert fit.aic == pytest.approx(r["aic"], abs=2e-5)
    if family == "negbin":
        assert fit.theta == pytest.approx(r["theta"], rel=1e-5)
    # the IRR of each follow-up wave vs entry, with its Wald interval
    b, se = np.array(r["fixef"][1:3]), np.array(r["se"][1:3])
    assert list(tab.wave) == ["T1", "T2"]
    np.testing.assert_allclose(tab.irr, np.exp(b), rtol=1e-4)
    np.testing.assert_allclose(tab.irr_low, np.exp(b - 1.959963984540054 * se), rtol=2e-4)
    np.testing.assert_allclose(tab.irr_high, np.exp(b + 1.959963984540054 * se), rtol=2e-4)
    assert list(tab.n_rows) == [int((long.wave == w).sum()) for w in ["T1", "T2"]]


def test_row_order_and_id_labels_do_not_matter(long):
    a, _ = wave_irr(long, "y_pois", "wave", "id", WAVES)
    shuffled = long.sample(frac=1.0, random_state=3).assign(id=lambda d: "x" + d.id)
    b, _ = wave_irr(shuffled, "y_pois", "wave", "id", WAVES)
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-6)
    np.testing.assert_allclose(a.sd, b.sd, rtol=1e-5)


def test_same_input_same_output(long):
    a, ta = wave_irr(long, "y_nb", "wave", "id", WAVES, family="negbin")
    b, tb = wave_irr(long, "y_nb", "wave", "id", WAVES, family="negbin")
    assert a.coef.tobytes() == b.coef.tobytes() and ta.equals(tb)


def test_exposure_is_a_log_offset(long):
    months = np.where(long.wave == "T0", 12.0, 6.0)
    d = long.assign(months=months)
    a, _ = wave_irr(long, "y_pois", "wave", "id", WAVES)
    b, tab = wave_irr(d, "y_pois", "wave", "id", WAVES, exposure="months")
    # follow-ups asked over half the period: their rate ratios double, nothing else moves
    np.testing.assert_allclose(b.coef[1:], a.coef[1:] + np.log(2), atol=1e-5)
    assert b.coef[0] == pytest.approx(a.coef[0] - np.log(12), abs=1e-5)
    with pytest.raises(DataError, match="positive"):
        wave_irr(d.assign(months=0.0), "y_pois", "wave", "id", WAVES, exposure="months")


def test_missing_rows_are_left_out(long):
    d = long.copy()
    d.loc[d.index[:10], "y_pois"] = np.nan
    fit, tab = wave_irr(d, "y_pois", "wave", "id", WAVES)
    assert fit.ok and fit.n == len(long) - 10


def test_refusals(long):
    one_wave = long[long.wave == "T0"]
    fit, tab = wave_irr(one_wave.assign(wave="T1"), "y_pois", "wave", "id", ["T0", "T1"])
    assert fit.status is Status.NOT_ESTIMABLE and tab.empty and "['T0']" in fit.message
    single = long.sample(frac=1.0, random_state=1).drop_duplicates("id")
    x = wave_design(single, "wave", WAVES)
    fit = fit_count_glmm(x, single.y_pois, single.id)
    assert fit.status is Status.NOT_ESTIMABLE and "two or more waves" in fit.message
    with pytest.raises(DataError, match="not among"):
        wave_design(long, "wave", ["T0", "T1"])
    with pytest.raises(DataError, match="columns"):
        wave_irr(long, "gp_visits", "wave", "id", WAVES)
    with pytest.raises(DataError, match="whole numbers"):
        wave_irr(long.assign(y_pois=long.y_pois - 0.5), "y_pois", "wave", "id", WAVES)


def test_no_person_variance_is_a_note():
    rng = np.random.default_rng(11)
    ids = np.repeat(np.arange(120), 3)
    waves = np.tile(WAVES, 120)
    y = rng.poisson(np.exp(1.0 + np.array([0, -0.2, -0.4])[np.tile([0, 1, 2], 120)]))
    d = pd.DataFrame({"id": ids, "wave": waves, "y": y})
    fit, tab = wave_irr(d, "y", "wave", "id", WAVES)
    assert fit.ok and fit.sd < 0.15 and len(tab) == 2


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_recovers_planted_wave_effects(seed):
    rng = np.random.default_rng(seed)
    m = 400
    ids = np.repeat(np.arange(m), 3)
    w = np.tile([0, 1, 2], m)
    eta = 0.8 + rng.normal(0, 0.5, m)[ids] + np.array([0, np.log(0.8), np.log(0.6)])[w]
    d = pd.DataFrame({"id": ids, "wave": np.array(WAVES)[w], "y": rng.poisson(np.exp(eta))})
    fit, tab = wave_irr(d, "y", "wave", "id", WAVES)
    assert fit.ok
    assert tab.irr_low.iloc[0] < 0.8 * 1.25 and tab.irr_high.iloc[0] > 0.8 / 1.25
    assert tab.irr_low.iloc[1] < 0.6 * 1.25 and tab.irr_high.iloc[1] > 0.6 / 1.25


def _sim(m, seed, nb_size=None):
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(m), 3)
    w = np.tile([0, 1, 2], m)
    mu = np.exp(0.8 + rng.normal(0, 0.5, m)[ids] + np.array([0, np.log(0.8), np.log(0.6)])[w])
    y = rng.poisson(mu) if nb_size is None else rng.negative_binomial(nb_size,
                                                                     nb_size / (nb_size + mu))
    return pd.DataFrame({"id": ids, "wave": np.array(WAVES)[w], "y": y})


def test_negbin_on_poisson_data_says_use_poisson():
    d = _sim(300, 1)
    fit, tab = wave_irr(d, "y", "wave", "id", WAVES, family="negbin")
    assert fit.status is Status.NOT_ESTIMABLE and "use the Poisson model" in fit.message
    auto, tab = wave_irr(d, "y", "wave", "id", WAVES, family="auto")
    assert auto.ok and auto.family == "poisson" and len(tab) == 2


def test_auto_takes_negbin_when_overdispersed():
    d = _sim(300, 2, nb_size=1.5)
    fit, reason = choose_glmm_family(wave_design(d, "wave", WAVES), d.y, d.id)
    assert fit.ok and fit.family == "negbin" and "overdispersed" in reason
    assert fit.theta == pytest.approx(1.5, rel=0.4)
