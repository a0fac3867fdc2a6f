"""pipeline.healthcare.byarm: the change in a count by arm (ratio of rate ratios) against R on
tests/fixtures/counts_arm (R script: make_reference.R there; glmmTMB 1.1.5, lme4, MASS,
sandwich)::

    long$age_c <- long$age - mean(long$age[long$wave == "T0"])
    glmmTMB(y ~ arm * wave + (1 | id), family = nbinom2, data = long)          # nb
    glmmTMB(y ~ arm * wave + age_c + (1 | id), family = nbinom2, data = long)  # nb_age
    glmer(y ~ arm * wave + (1 | id), family = poisson, data = long)            # pois
    cc <- long[long$id %in% names(per)[per == 3], ]   # a count at every wave
    fit <- glm.nb(y ~ arm * wave (+ age_c), data = cc)                         # cc_nb(_age)
    sqrt(diag(vcovCL(fit, cluster = ~id, type = "HC0")))

``exp(arm:waveTw)`` is the ratio of rate ratios (programme vs usual care) of wave w vs entry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.healthcare.byarm import arm_change, arm_data, arm_design, outcome_arm_change
from pipeline.healthcare.settings import ArmSpec, CountOutcome, HealthcareSettings
from pipeline.status import Status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "counts_arm"
REF = json.loads((FIX / "ref.json").read_text())
GP = CountOutcome("gp", "gp_visits", "GP visits in the last 3 months", 3.0)
WAVES = ("T0", "T1", "T2")
LEVELS = ("Programme", "Usual care")


def _arms(randomised=False, adjust=True, reference="Usual care"):
    return ArmSpec("arm", "arm", reference, None, LEVELS, randomised,
                   (("age", "age", ()),) if adjust else ())


def _settings(arms, model="negbin", zi="never", primary="fiml"):
    return HealthcareSettings({"gp": GP}, model, zi, 0.95, 200, (), WAVES, primary, arms=arms)


@pytest.fixture(scope="module")
def wide():
    long = pd.read_csv(FIX / "long.csv")
    w = long.pivot(index="id", columns="wave", values="y").add_prefix("gp_visits_")
    people = long.drop_duplicates("id").set_index("id")[["arm", "age"]]
    w = w.join(people).reset_index().rename(columns={"id": "pid"})
    w["arm"] = np.where(w["arm"] == 1, "Programme", "Usual care")
    return w


def _rows(t, quantity, method="glmm", arm=None):
    r = t[(t["quantity"] == quantity) & (t["method"] == method)]
    return r if arm is None else r[r["arm"] == arm]


def _check_rrr(t, ref, method="glmm", tol=2e-4):
    rrr = _rows(t, "ratio_of_rate_ratios", method).set_index("wave")
    est = ref.get("fixef", ref.get("coef"))
    for w in ("T1", "T2"):
        j = ref["names"].index(f"arm:wave{w}")
        assert math.log(rrr.loc[w, "estimate"]) == pytest.approx(est[j], abs=tol)
        assert rrr.loc[w, "log_se"] == pytest.approx(ref["se"][j], rel=1e-3)
        lo = math.exp(est[j] - 1.959964 * ref["se"][j])
        assert rrr.loc[w, "ci_lower"] == pytest.approx(lo, rel=1e-3)
    ref_rr = _rows(t, "rate_ratio", method, "Usual care").set_index("wave")
    prog_rr = _rows(t, "rate_ratio", method, "Programme").set_index("wave")
    for w in ("T1", "T2"):
        b_w, b_i = (est[ref["names"].index(n)] for n in (f"wave{w}", f"arm:wave{w}"))
        assert math.log(ref_rr.loc[w, "estimate"]) == pytest.approx(b_w, abs=tol)
        assert math.log(prog_rr.loc[w, "estimate"]) == pytest.approx(b_w + b_i, abs=tol)


def test_unadjusted_nb2_matches_glmmtmb_and_glm_nb_with_vcovcl(wide):
    t = outcome_arm_change(wide, GP, _settings(_arms(randomised=True)))
    assert set(t["status"]) == {"ok"}
    _check_rrr(t, REF["nb"])
    _check_rrr(t, REF["cc_nb"], "complete_case", tol=1e-6)
    assert set(_rows(t, "ratio_of_rate_ratios")["adjusted_for"]) == {"none (randomised)"}
    cc = _rows(t, "ratio_of_rate_ratios", "complete_case")
    assert set(cc["n_people"]) == {REF["cc_nb"]["n_people"]}
    assert "cluster-robust" in cc["message"].iloc[0]


def test_not_randomised_adjusts_for_the_covariates_as_r(wide):
    t = outcome_arm_change(wide, GP, _settings(_arms()))
    _check_rrr(t, REF["nb_age"])
    _check_rrr(t, REF["cc_nb_age"], "complete_case", tol=1e-6)
    msg = _rows(t, "ratio_of_rate_ratios")["message"].iloc[0]
    assert "not randomised: adjusted for age" in msg and "measured differences only" in msg
    assert set(_rows(t, "ratio_of_rate_ratios")["adjusted_for"]) == {"age"}


def test_poisson_matches_glmer(wide):
    t = outcome_arm_change(wide, GP, _settings(_arms(randomised=True), model="poisson"))
    _check_rrr(t, REF["pois"])
    assert set(_rows(t, "ratio_of_rate_ratios")["model"]) == {"poisson_glmm"}


def test_model_based_means_per_arm_give_the_rate_ratios(wide):
    t = outcome_arm_change(wide, GP, _settings(_arms(randomised=True)))
    for arm in LEVELS:
        m = _rows(t, "mean_count", arm=arm).set_index("wave")["estimate"]
        rr = _rows(t, "rate_ratio", arm=arm).set_index("wave")["estimate"]
        assert m["T1"] / m["T0"] == pytest.approx(rr["T1"], rel=1e-9)
    prog = _rows(t, "rate_ratio", arm="Programme").set_index("wave")["estimate"]
    ref = _rows(t, "rate_ratio", arm="Usual care").set_index("wave")["estimate"]
    rrr = _rows(t, "ratio_of_rate_ratios").set_index("wave")["estimate"]
    assert prog["T2"] / ref["T2"] == pytest.approx(rrr["T2"], rel=1e-9)


def test_the_reference_arm_can_be_either(wide):
    a = outcome_arm_change(wide, GP, _settings(_arms(randomised=True)))
    b = outcome_arm_change(wide, GP, _settings(_arms(randomised=True, reference="Programme")))
    ra = _rows(a, "ratio_of_rate_ratios").set_index("wave")["estimate"]
    rb = _rows(b, "ratio_of_rate_ratios").set_index("wave")["estimate"]
    assert (ra * rb).to_numpy() == pytest.approx([1, 1], rel=1e-4)
    assert _rows(b, "ratio_of_rate_ratios")["arm"].iloc[0] == "Usual care vs Programme"


def test_people_without_an_arm_or_covariate_are_left_out_and_said(wide):
    w = wide.copy()
    w.loc[:4, "arm"] = None
    w.loc[5:6, "age"] = np.nan
    d = arm_data(w, "gp_visits", WAVES, _arms())
    assert d.left_out == 7 and d.long["pid"].nunique() == len(w) - 7
    assert abs(d.long.drop_duplicates("pid")["age"].mean()) < 1e-9  # centred
    t = outcome_arm_change(w, GP, _settings(_arms()))
    assert "7 people without a known arm or covariate left out" in t["message"].iloc[-1]


def test_design_is_r_arm_times_wave(wide):
    d = arm_data(wide, "gp_visits", WAVES, _arms())
    x = arm_design(d.long, WAVES, d.covariates)
    assert list(x.columns) == ["(Intercept)", "arm", "waveT1", "waveT2", "age", "arm:waveT1",
                               "arm:waveT2"]
    assert (x["arm:waveT2"] == x["arm"] * x["waveT2"]).all()


def test_what_the_data_cannot_support_is_a_status(wide):
    one_arm = wide.assign(arm="Usual care")
    t = outcome_arm_change(one_arm, GP, _settings(_arms()))
    assert list(t["status"]) == [Status.NOT_ESTIMABLE.value]
    assert "both arms" in t["message"].iloc[0]
    gone = wide.copy()
    gone.loc[gone["arm"] == "Programme", "gp_visits_T2"] = np.nan
    t = outcome_arm_change(gone, GP, _settings(_arms()))
    assert list(t["status"]) == [Status.NOT_ESTIMABLE.value]
    assert "no observed count in Programme at T2" in t["message"].iloc[0]
    t = outcome_arm_change(wide.drop(columns="arm"), GP, _settings(_arms()))
    assert "comparison.group" in t["message"].iloc[0]


def test_same_input_same_table(wide):
    s = _settings(_arms(), model="auto", zi="auto")
    a, b = arm_change(wide, s), arm_change(wide, s)
    pd.testing.assert_frame_equal(a, b)
    assert not a.isin(list(wide["pid"])).any().any()  # no participant ids in the table


def test_zero_inflated_sensitivity_and_another_primary_method_are_said(wide):
    s = _settings(_arms(), model="negbin", zi="always", primary="mi")
    t = outcome_arm_change(wide, GP, s)
    cc = _rows(t, "ratio_of_rate_ratios", "complete_case")
    assert set(cc["model"]) == {"zinb"} and set(cc["status"]) == {"ok"}
    assert "count part of the zero-inflated model" in cc["message"].iloc[0]
    prim = _rows(t, "ratio_of_rate_ratios")
    assert "stands in for the primary method (multiple imputation)" in prim["message"].iloc[0]
