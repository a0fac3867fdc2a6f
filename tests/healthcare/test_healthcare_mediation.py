"""pipeline.healthcare.mediation: point estimates against a hand computation in R; the
percentile bootstrap is seeded, batched and independent of the block size.

R (tests/fixtures/healthcare/make_reference.R; MASS)::

    med <- complete cases of x = gm_T1 - gm_T0, m1 = belonging_T1, m2 = loneliness_T1,
           y = gp_visits_T1, age
    a1 <- lm(m1 ~ x + age); a2 <- lm(m2 ~ x + m1 + age)
    th <- coef(glm.nb(y ~ x + m1 + m2 + age))       # or glm(..., family = poisson)
    direct = th[["x"]]; ind_m1 = th[["m1"]] * b1; ind_m2 = th[["m2"]] * g1
    ind_serial = th[["m2"]] * g2 * b1                 # b1 = coef(a1)["x"], g1/g2 of a2
    ind_total = ind_m1 + ind_m2 + ind_serial; total = direct + ind_total   (log rate ratios)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pipeline.healthcare.mediation as med
from pipeline.healthcare.settings import Binding, CountChain, CountOutcome, HealthcareSettings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "healthcare"
REF = json.loads((FIX / "ref.json").read_text())
GP = CountOutcome("gp", "gp_visits", "GP visits in the last 3 months", 3.0)
CHAIN = CountChain("gp_chain", "GP chain", Binding("group_memberships", change=("T0", "T1")),
                   (Binding("belonging", wave="T1"), Binding("loneliness", wave="T1")),
                   "gp", "gp_visits", "T1", (("age", "age", ()),))
NAMES = {"direct": "direct", "ind_m1": "ind_m1", "ind_m2": "ind_m2",
         "ind_m1_m2": "ind_serial", "total_indirect": "ind_total", "total": "total"}


def _settings(model="auto", B=200, primary="fiml", seed=5):
    return HealthcareSettings({"gp": GP}, model, "auto", 0.95, B, (CHAIN,),
                              ("T0", "T1", "T2"), primary, seed=seed)


@pytest.fixture(scope="module")
def wide():
    return pd.read_csv(FIX / "wide.csv")


@pytest.fixture(scope="module")
def nb_table(wide):
    return med.count_mediation(wide, _settings(), {"belonging": "Community belonging"})


@pytest.mark.parametrize("model,key", [("negbin", "med_nb"), ("poisson", "med_pois")])
def test_point_estimates_match_r(wide, model, key):
    tab = med.count_mediation(wide, _settings(model, B=100), {}).set_index("effect")
    for ours, theirs in NAMES.items():
        assert tab.loc[ours, "log_rr"] == pytest.approx(REF[key][theirs], abs=1e-7)
    assert (tab["rate_ratio"] == np.exp(tab["log_rr"])).all()
    assert (tab["n"] == REF["med_n"]).all() and (tab["model"] == model).all()


def test_auto_picks_nb_and_says_what_stands_in(nb_table):
    t = nb_table.set_index("effect")
    assert (t["model"] == "negbin").all()
    msg = t.loc["total", "message"]
    assert "complete cases stand in for the primary method (FIML)" in msg
    assert "VanderWeele 2015" in msg and "200 of 200 resamples" in msg
    assert t.loc["ind_m1", "path"] == ("change in group memberships (T0 to T1) -> Community "
                                       "belonging (T1) -> GP visits in the last 3 months (T1)")
    assert ((t["ci_lower"] <= t["rate_ratio"]) & (t["rate_ratio"] <= t["ci_upper"])).all()


def test_bootstrap_is_seeded_and_block_free(wide, nb_table, monkeypatch):
    again = med.count_mediation(wide, _settings(), {"belonging": "Community belonging"})
    pd.testing.assert_frame_equal(again, nb_table)
    monkeypatch.setattr(med, "BLOCK", 37)
    blocks = med.count_mediation(wide, _settings(), {"belonging": "Community belonging"})
    np.testing.assert_allclose(blocks["ci_lower"], nb_table["ci_lower"], rtol=1e-9)
    other = med.count_mediation(wide, _settings(seed=6), {})
    assert not np.allclose(other["ci_lower"], nb_table["ci_lower"])


def test_paths_of_a_three_mediator_chain():
    assert med.chain_paths(3) == [(1,), (2,), (3,), (1, 2), (1, 3), (2, 3), (1, 2, 3)]
    # [1, x, c] then earlier mediators; outcome [1, x, c, m1, m2, m3]
    a = [np.array([0, 2.0, 9]), np.array([0, 3.0, 9, 5.0]), np.array([0, 7.0, 9, 11.0, 13.0])]
    t = np.array([0, 0.5, 9, 17.0, 19.0, 23.0])
    e = med.path_effects(a, t, 3)
    assert e["ind_m1"] == 2 * 17 and e["ind_m2_m3"] == 3 * 13 * 23
    assert e["ind_m1_m2_m3"] == 2 * 5 * 13 * 23 and e["ind_m1_m3"] == 2 * 11 * 23
    assert e["total"] == pytest.approx(0.5 + e["total_indirect"])


def test_too_few_people_is_not_estimable(wide):
    tab = med.count_mediation(wide.head(12), _settings(), {})
    assert tab["status"].tolist() == ["not_estimable"] and "people" in tab["message"].iloc[0]


def test_a_small_sample_still_gives_a_row_per_effect(wide):
    tab = med.count_mediation(wide.head(40), _settings(B=100), {})
    assert len(tab) == 6 and set(tab["status"]) <= {"ok", "not_estimable"}


def test_categorical_covariate_becomes_dummies(wide):
    w = wide.assign(sex=np.where(np.arange(len(wide)) % 3 == 0, "Man", "Woman"))
    ch = CountChain("c", "c", CHAIN.x, CHAIN.mediators, "gp", "gp_visits", "T1",
                    (("sex", "sex", ("Woman", "Man", "Other")),))
    frame = med.chain_frame(w, ch)
    assert "sex_Man" in frame.columns and "sex_Other" not in frame.columns
