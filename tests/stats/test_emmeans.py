"""Tests for pipeline.stats.emmeans against emmeans (tests/fixtures/change/make_reference.R).

Agreement required: estimates within 1e-4 (absolute), SEs within 1% (relative; observed ~1e-6).
emmeans was run with lmer.df = "asymptotic" so both sides use z-based CIs and p-values.
ref_emmeans.csv uses weights = "proportional"; ref_emmeans_equal.csv emmeans' default
weights = "equal".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

import pipeline.stats.emmeans as em
from pipeline.errors import DataError
from pipeline.stats.mixed import fit_random_intercept

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "change"
WAVES = ["T0", "T1", "T2"]
MODELS = {
    "wave_age": ({"age": "numeric"}, "wave"),
    "wave_age_gender": ({"age": "numeric", "gender": "categorical"}, "wave"),
    "months_age": ({"age": "numeric"}, "months"),
}


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    d = pd.read_csv(FIX / "sim_long.csv", dtype={"pid": str, "wave": str})
    d["gender"] = pd.Categorical(d["gender"], ["Woman", "Man", "Non-binary / other"])
    return d


def _fit(sim, model, weights="proportional"):
    cov, time = MODELS[model]
    d = sim.dropna(subset=["score", *cov])
    design = em.trajectory_design(d, WAVES, cov, time, weights)
    fit = fit_random_intercept(d["score"].to_numpy(float), design.X, d["pid"].to_numpy())
    return design, fit


@pytest.fixture(scope="module")
def fits(sim):
    return {m: _fit(sim, m) for m in MODELS}


def _check_means(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    np.testing.assert_allclose(got["est"], ref["emmean"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=0.01)
    np.testing.assert_allclose(got["ci_lower"], ref["ci_lower"], atol=1e-3)
    np.testing.assert_allclose(got["ci_upper"], ref["ci_upper"], atol=1e-3)
    # measured agreement is far tighter than the requirement
    assert np.max(np.abs(got["se"].to_numpy() / ref["se"].to_numpy() - 1)) < 1e-4


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_means_match_emmeans(fits, model):
    ref = pd.read_csv(FIX / "ref_emmeans.csv").query("model == @model")
    design, fit = fits[model]
    _check_means(em.marginal_means(design.L, fit.beta, fit.vcov), ref)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_means_equal_weights_match_emmeans_default(sim, model):
    ref = pd.read_csv(FIX / "ref_emmeans_equal.csv").query("model == @model")
    design, fit = _fit(sim, model, "equal")
    _check_means(em.marginal_means(design.L, fit.beta, fit.vcov), ref)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_contrasts_match_emmeans(fits, model):
    ref = pd.read_csv(FIX / "ref_contrasts.csv").query("model == @model")
    design, fit = fits[model]
    got = em.contrasts_vs_first(design.L, fit.beta, fit.vcov, p_adjust="holm")
    np.testing.assert_allclose(got["est"], ref["est"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=0.01)
    np.testing.assert_allclose(got["z"], ref["z"], rtol=1e-3)
    np.testing.assert_allclose(got["pvalue"], ref["p"], rtol=1e-2)
    np.testing.assert_allclose(got["pvalue_adj"], ref["p_holm"], rtol=1e-2)
    np.testing.assert_allclose(got["ci_lower"], ref["ci_lower"], atol=1e-3)
    np.testing.assert_allclose(got["ci_upper"], ref["ci_upper"], atol=1e-3)
    np.testing.assert_allclose(got["ci_lower_adj"], ref["ci_lower_bonf"], atol=1e-3)
    np.testing.assert_allclose(got["ci_upper_adj"], ref["ci_upper_bonf"], atol=1e-3)


@pytest.mark.slow
def test_proportional_grid_is_the_sample_mix(sim, fits):
    design, _ = fits["wave_age_gender"]
    d = sim.dropna(subset=["score", "age"])
    col = design.names.index("gender[Man]")
    assert design.L[0, col] == pytest.approx((d["gender"] == "Man").mean())
    assert design.L[0, design.names.index("age")] == pytest.approx(d["age"].mean())
    eq, _ = _fit(sim, "wave_age_gender", "equal")
    assert eq.L[0, col] == pytest.approx(1 / 3)


def test_withheld_means_and_unreported_contrasts_are_blank():
    L = np.array([[1.0, 0, 0], [1, 1, 0], [1, 0, 1]])
    beta, V = np.array([1.0, 2.0, 3.0]), np.eye(3) * 0.01
    m = em.marginal_means(L, beta, V, withhold=np.array([False, False, True]))
    assert m["est"].iloc[2] != m["est"].iloc[2] and m["est"].iloc[1] == pytest.approx(3.0)
    c = em.contrasts_vs_first(L, beta, V, p_adjust="holm", report=np.array([True, False]))
    assert np.isnan(c.loc[1, ["est", "se", "pvalue", "pvalue_adj"]].astype(float)).all()
    # one reported contrast: the family has one member, the CI is not widened
    assert c.loc[0, "pvalue_adj"] == pytest.approx(c.loc[0, "pvalue"])
    assert c.loc[0, "ci_lower_adj"] == pytest.approx(c.loc[0, "ci_lower"])


def test_constant_covariate_is_left_out():
    d = pd.DataFrame({"wave": ["T0", "T1"] * 3, "age": 40.0, "g": ["a"] * 6})
    design = em.trajectory_design(d, ["T0", "T1"], {"age": "numeric", "g": "categorical"}, "wave")
    assert design.names == ["(Intercept)", "waveT1"] and design.covariates == []
    assert len(design.notes) == 2


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.5])
    ok = ~np.isnan(p)
    for method, sm_name in (("holm", "holm"), ("bonferroni", "bonferroni")):
        got = em.adjust_pvalues(p, method)
        np.testing.assert_allclose(got[ok], multipletests(p[ok], method=sm_name)[1])
        assert np.isnan(got[3])
    np.testing.assert_array_equal(em.adjust_pvalues(p, "none")[ok], p[ok])
    with pytest.raises(DataError, match="sidak"):
        em.adjust_pvalues(p, "sidak")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=8))
def test_holm_properties(p):
    p = np.array(p)
    holm, bonf = em.adjust_pvalues(p, "holm"), em.adjust_pvalues(p, "bonferroni")
    assert np.all(holm >= p - 1e-15) and np.all(holm <= bonf + 1e-15) and np.all(holm <= 1)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(holm[order]) >= -1e-15)  # monotone in the raw p-values


def test_bonferroni_level():
    assert em.ci_level_adjusted(0.95, 2, "holm") == pytest.approx(0.975)
    assert em.ci_level_adjusted(0.95, 1, "holm") == 0.95
    assert em.ci_level_adjusted(0.95, 3, "none") == 0.95
