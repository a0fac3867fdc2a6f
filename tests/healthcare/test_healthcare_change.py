"""pipeline.healthcare.change and .models against R on tests/fixtures/healthcare.

R (tests/fixtures/healthcare/make_reference.R; glmmTMB, lme4, MASS, sandwich)::

    nb_mm <- glmmTMB(y ~ waveT1 + waveT2 + (1 | pid), family = nbinom2, data = long)
    po_mm <- glmer(y ~ waveT1 + waveT2 + (1 | pid), family = poisson, data = long)
    cc <- long[long$pid %in% complete_ids, ]          # a count at every wave
    nb_cc <- glm.nb(y ~ waveT1 + waveT2, data = cc)
    sqrt(diag(vcovCL(nb_cc, cluster = ~pid, type = "HC0")))
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.healthcare.change import count_change
from pipeline.healthcare.settings import CountOutcome, HealthcareSettings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "healthcare"
REF = json.loads((FIX / "ref.json").read_text())
GP = CountOutcome("gp", "gp_visits", "GP visits in the last 3 months", 3.0)


def _settings(model="auto", zi="auto", primary="fiml"):
    return HealthcareSettings({"gp": GP}, model, zi, 0.95, 200, (), ("T0", "T1", "T2"), primary)


@pytest.fixture(scope="module")
def wide():
    return pd.read_csv(FIX / "wide.csv")


@pytest.fixture(scope="module")
def auto(wide):
    return count_change(wide, _settings())


def _rows(tab, method, quantity="rate_ratio"):
    return tab[(tab["method"] == method) & (tab["quantity"] == quantity)]


def test_glmm_matches_glmmtmb_and_the_rule_picks_nb(auto):
    g = _rows(auto, "glmm")
    ref = REF["glmm_nb"]
    assert list(g["wave"]) == ["T1", "T2"] and (g["model"] == "negbin_glmm").all()
    np.testing.assert_allclose(np.log(g["estimate"]), ref["coef"][1:], atol=1e-4)
    np.testing.assert_allclose(g["log_se"], ref["se"][1:], rtol=1e-3)
    lo = np.exp(np.array(ref["coef"][1:]) - 1.959964 * np.array(ref["se"][1:]))
    np.testing.assert_allclose(g["ci_lower"], lo, rtol=1e-3)
    assert g["model_choice"].iloc[0].startswith("negative binomial: overdispersed (LR test "
                                                f"{REF['glmm_lr']:.1f}")
    assert (g["n_people"] == REF["n_people"]).all() and g["role"].eq("primary").all()
    assert "MAR" in g["message"].iloc[0] and "like FIML" in g["message"].iloc[0]


def test_model_means_give_the_rate_ratio(auto):
    m = _rows(auto, "glmm", "mean_count").set_index("wave")["estimate"]
    g = _rows(auto, "glmm").set_index("wave")["estimate"]
    assert m["T1"] / m["T0"] == pytest.approx(g["T1"], rel=1e-12)
    sd, b0 = REF["glmm_nb"]["sd"], REF["glmm_nb"]["coef"][0]
    assert m["T0"] == pytest.approx(np.exp(b0 + sd**2 / 2), rel=1e-3)


def test_complete_case_glm_matches_glm_nb_with_cluster_se(auto):
    c = _rows(auto, "complete_case")
    ref = REF["cc_nb"]
    assert (c["model"] == "negbin").all() and c["role"].eq("sensitivity").all()
    np.testing.assert_allclose(np.log(c["estimate"]), ref["coef"][1:], atol=1e-7)
    np.testing.assert_allclose(c["log_se"], ref["se"][1:], rtol=1e-6)
    assert (c["n_people"] == ref["n_people"]).all()
    assert "cluster-robust by person" in c["message"].iloc[0]


def test_poisson_on_request_matches_glmer(wide):
    tab = count_change(wide, _settings(model="poisson", zi="never"))
    g = _rows(tab, "glmm")
    np.testing.assert_allclose(np.log(g["estimate"]), REF["glmm_pois"]["coef"][1:], atol=1e-4)
    np.testing.assert_allclose(g["log_se"], REF["glmm_pois"]["se"][1:], rtol=2e-3)
    c = _rows(tab, "complete_case")
    np.testing.assert_allclose(c["log_se"], REF["cc_pois"]["se"][1:], rtol=1e-6)
    assert "healthcare.model: poisson" in g["model_choice"].iloc[0]


def test_poisson_underpredicts_zeros_so_the_rule_picks_zip(wide):
    c = _rows(count_change(wide, _settings(model="poisson")), "complete_case")
    assert (c["model"] == "zip").all()
    assert "zero-inflated model's AIC is lower" in c["model_choice"].iloc[0]
    g = _rows(count_change(wide, _settings(model="poisson")), "glmm")
    assert "no zero-inflated form here" in g["message"].iloc[0]


def test_observed_means(auto, wide):
    o = _rows(auto, "observed", "mean_count").set_index("wave")
    assert o.loc["T1", "estimate"] == pytest.approx(wide["gp_visits_T1"].mean())
    assert o.loc["T1", "n_people"] == wide["gp_visits_T1"].notna().sum()


def test_zero_inflation_always_fits_the_zero_inflated_model(wide):
    c = _rows(count_change(wide, _settings(zi="always")), "complete_case")
    assert (c["model"] == "zinb").all()
    assert "zero_inflation: always" in c["model_choice"].iloc[0]
    assert "do not allow for the repeated waves" in c["message"].iloc[0]


def test_another_primary_method_is_named(wide):
    g = _rows(count_change(wide, _settings(primary="mi")), "glmm")
    assert "stands in for the primary method (multiple imputation)" in g["message"].iloc[0]


def test_a_wave_nobody_answered_is_not_estimable(wide):
    w = wide.assign(gp_visits_T2=np.nan)
    tab = count_change(w, _settings())
    r = tab[tab["quantity"] == "rate_ratio"]
    assert len(r) == 1 and r["status"].iloc[0] == "not_estimable"
    assert "['T2']" in r["message"].iloc[0]
