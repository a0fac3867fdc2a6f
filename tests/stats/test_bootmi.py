"""pipeline.stats.bootmi against R: the von Hippel & Bartlett (2021) boot-MI ANOVA pooling.

Reference: tests/fixtures/bootmi/bootmi_reference.R (bootImpute 1.2's bootImputeAnalyse pooling code
transcribed, cross-checked with aov() mean squares and lme4::lmer REML variance components, and
an explicit jackknife loop for the Monte Carlo SEs of the bounds) on a real mice boot-MI run
(B = 200, M = 2; tests/fixtures/bootmi/bootmi_estimates.csv); plus toy cases checked by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.stats.bootmi import bootmi_mcse, bootmi_pool

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "bootmi"
REF = json.loads((FIX / "bootmi_reference.json").read_text())
PARAMS = ["intercept", "x", "z"]


@pytest.fixture(scope="module")
def ests() -> np.ndarray:
    d = pd.read_csv(FIX / "bootmi_estimates.csv")
    B, M = int(d["boot"].max()), int(d["imp"].max())
    out = np.empty((B, M, len(PARAMS)))
    for j, p in enumerate(PARAMS):
        s = d[d["param"] == p]
        out[s["boot"] - 1, s["imp"] - 1, j] = s["est"]
    return out


@pytest.mark.parametrize("key", ["est", "se", "df", "ci_lower", "ci_upper", "p", "var_between",
                                 "var_within"])
def test_matches_bootimputeanalyse(ests, key):
    res = bootmi_pool(ests)
    attr = {"p": "pvalue"}.get(key, key)
    got = getattr(res, attr)
    want = np.array([REF[p][key] for p in PARAMS])
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert not res.boundary.any()


def test_variance_equals_aov_and_lmer_components(ests):
    res = bootmi_pool(ests)
    var = res.se**2
    np.testing.assert_allclose(var, [REF[p]["var_aov"] for p in PARAMS], rtol=1e-10)
    np.testing.assert_allclose(var, [REF[p]["var_lmer"] for p in PARAMS], rtol=1e-6)
    np.testing.assert_allclose(res.var_between, [REF[p]["var_between_lmer"] for p in PARAMS],
                               rtol=1e-6)


def test_mcse_matches_jackknife_loop(ests):
    lo, hi = bootmi_mcse(ests)
    np.testing.assert_allclose(lo, [REF[p]["mcse_lower"] for p in PARAMS], rtol=1e-8)
    np.testing.assert_allclose(hi, [REF[p]["mcse_upper"] for p in PARAMS], rtol=1e-8)


def test_anova_se_below_naive_sd_of_sample_means(ests):
    """The old SE (SD of the B per-sample means) keeps sigma2_w / M of imputation noise."""
    naive = ests.mean(axis=1).std(axis=0, ddof=1)
    assert (bootmi_pool(ests).se < naive).all()


def test_toy_by_hand():
    """[[1,3],[2,2],[4,6]]: row means 2,2,5, grand 3; SSW = 4, MSW = 4/3; SSB = 2*6 = 12,
    MSB = 6; sigma2_b = (6 - 4/3)/2 = 7/3; Var = (4/3)(7/3) + (4/3)/6 = 10/3;
    df = (10/3)^2 / ((4/6)^2 36/2 + (16/9)/12) = 1.36 -> floored at 3."""
    res = bootmi_pool(np.array([[1.0, 3.0], [2.0, 2.0], [4.0, 6.0]]))
    assert res.est[0] == pytest.approx(3.0)
    assert res.var_between[0] == pytest.approx(7 / 3)
    assert res.var_within[0] == pytest.approx(4 / 3)
    assert res.se[0] ** 2 == pytest.approx(10 / 3)
    assert res.df[0] == 3.0
    half = stats.t.ppf(0.975, 3) * np.sqrt(10 / 3)
    assert res.ci_lower[0] == pytest.approx(3 - half)
    assert res.ci_upper[0] == pytest.approx(3 + half)
    assert res.ci_lower[0] == pytest.approx(REF["toy"]["ci_lower"], rel=1e-12)


def test_toy_boundary_by_hand():
    """[[0,4],[2,2],[1,3]]: all row means 2, SSB = 0 <= SSW = 10: sigma2_b = 0 and
    sigma2_w = (SSW + SSB)/(BM - 1) = 2, Var = 2/6."""
    res = bootmi_pool(np.array([[0.0, 4.0], [2.0, 2.0], [1.0, 3.0]]))
    assert bool(res.boundary[0])
    assert res.var_between[0] == 0.0
    assert res.var_within[0] == pytest.approx(2.0)
    assert res.se[0] ** 2 == pytest.approx(1 / 3)
    assert res.se[0] ** 2 == pytest.approx(REF["toy_boundary"]["var"], rel=1e-12)


def test_conf_level_and_shapes():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(50, 2)) + rng.normal(size=(50, 1))
    r95, r90 = bootmi_pool(e), bootmi_pool(e, conf=0.90)
    assert r90.ci_upper[0] - r90.ci_lower[0] < r95.ci_upper[0] - r95.ci_lower[0]
    assert r95.est.shape == (1,)
    with pytest.raises(ValueError):
        bootmi_pool(e[:, :1])          # M = 1: no within-sample variance
    with pytest.raises(ValueError):
        bootmi_pool(np.full((5, 2), np.nan))
