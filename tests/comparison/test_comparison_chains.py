"""pipeline.comparison.chains: the chain's frame is the mediation wing's, the by-arm fit is
``fit_multigroup`` on that frame, and what the data cannot support is a status row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_comparison_armfits import ARMS, SPEC, chain_wide

from pipeline.comparison.armfits import ARM_GROUP
from pipeline.comparison.chains import (
    MEDIATION_COLUMNS,
    chain_by_arm,
    chain_frame,
    mediation_tables,
)
from pipeline.mediation.frame import derive_frame
from pipeline.mediation.spec import Binding, MediationSpec
from pipeline.sem.chain_syntax import chain_lavaan_syntax, chain_path_labels
from pipeline.sem.multigroup import fit_multigroup

BASE = MediationSpec(
    name="base", x=Binding("gm", change=("T0", "T1")),
    mediators=(Binding("bel", "T1"), Binding("lon", "T1")), y=Binding("qol", "T1"),
    covariates=("age", "gender"), adjust_baseline=True,
    categorical={"gender": ("Woman", "Man", "Other")})


def _wide(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = {"pid": [f"p{i}" for i in range(n)],
         "arm": np.where(rng.random(n) < 0.6, *ARMS[::-1]),
         "age": rng.normal(50, 10, n).round(),
         "gender": rng.choice(["Woman", "Man", "Other"], n, p=[0.5, 0.4, 0.1])}
    for c in ("gm", "bel", "lon", "qol"):
        base = rng.normal(size=n)
        d[f"{c}_T0"], d[f"{c}_T1"] = base, base * 0.5 + rng.normal(size=n)
    w = pd.DataFrame(d)
    w.loc[rng.random(n) < 0.15, "qol_T1"] = np.nan
    return w


def test_the_chain_frame_is_the_mediation_wings_design():
    wide = _wide()
    ours, covs = chain_frame(wide, BASE, "arm")
    theirs = derive_frame(wide, BASE)
    pd.testing.assert_frame_equal(ours.drop(columns=ARM_GROUP),
                                  theirs.reset_index(drop=True), check_like=False)
    assert covs == list(theirs.columns[1:-3])  # covariates between X and the mediators
    assert list(ours[ARM_GROUP]) == list(wide["arm"])


def test_by_arm_chain_equals_fit_multigroup_on_the_same_frame():
    fits, notes = chain_by_arm(chain_wide(), SPEC, "arm", ARMS, robust=False)
    assert fits.ok and notes == []
    frame, covs = chain_frame(chain_wide(), SPEC, "arm")
    syntax = chain_lavaan_syntax("x_T1", ["m1_T1", "m2_T1"], "y_T1", covs)
    direct = fit_multigroup(syntax, frame, ARM_GROUP, group_order=list(ARMS))
    equal = fit_multigroup(syntax, frame, ARM_GROUP, group_order=list(ARMS),
                           group_equal=chain_path_labels(2))
    np.testing.assert_allclose(fits.free.theta, direct.theta, atol=1e-10)
    np.testing.assert_allclose(fits.equal.theta, equal.theta, atol=1e-10)
    med, test = mediation_tables([(SPEC, fits, [])], 0.9, 500, 3)
    assert list(med.columns) == MEDIATION_COLUMNS
    est = direct.estimates.set_index(["group", "label"])
    for r in med[med["model"] == "free"].itertuples():
        assert r.est == pytest.approx(est.loc[(r.arm, r.label), "est"])
        assert r.estimator == "ML" and r.ci_level == 0.9
    assert set(test["estimator"]) == {"ML"} and test["headline"].sum() == 1


def test_monte_carlo_intervals_are_seeded_and_the_difference_is_drawn_jointly():
    fits, _ = chain_by_arm(chain_wide(), SPEC, "arm", ARMS, robust=True)
    one, _ = mediation_tables([(SPEC, fits, [])], 0.95, 4000, 11)
    two, _ = mediation_tables([(SPEC, fits, [])], 0.95, 4000, 11)
    pd.testing.assert_frame_equal(one, two)
    d = one[one["model"] == "difference"].set_index("label")
    free = one[one["model"] == "free"].set_index(["arm", "label"])
    for lab in ("ind_1", "ind_12", "ind_2", "ind_total", "total"):
        assert d.loc[lab, "est"] == pytest.approx(free.loc[(ARMS[1], lab), "est"]
                                                  - free.loc[(ARMS[0], lab), "est"])
        assert d.loc[lab, "ci_lower"] < d.loc[lab, "est"] < d.loc[lab, "ci_upper"]
    ind = one[(one["model"] == "free") & (one["label"] == "ind_total")]
    assert (ind["ci_method"] == "monte_carlo").all()
    paths = one[(one["model"] == "free") & (one["label"] == "a1")]
    assert (paths["ci_method"] == "wald").all()


def test_a_covariate_constant_within_an_arm_is_left_out_with_a_note():
    wide = chain_wide()
    wide["site"] = np.where(wide["arm"] == ARMS[1], 1.0, 0.0)  # the arm itself, in effect
    spec = MediationSpec(name="c", x=SPEC.x, mediators=SPEC.mediators, y=SPEC.y,
                         covariates=("age", "site"))
    fits, notes = chain_by_arm(wide, spec, "arm", ARMS, robust=False)
    assert fits.ok and notes == ["left out (no variation within an arm): site"]
    _, test = mediation_tables([(spec, fits, notes)], 0.95, 100, 1)
    assert test["message"].str.contains("left out").all()


def test_an_arm_the_data_cannot_support_is_a_status_row_not_an_error():
    wide = chain_wide()
    few = wide[wide["arm"] == ARMS[0]].index[3:]
    wide = wide.drop(index=few)  # three people in the reference arm
    fits, _ = chain_by_arm(wide, SPEC, "arm", ARMS, robust=True)
    assert not fits.ok and fits.status in ("not_estimable", "not_identified",
                                           "improper_solution", "not_converged")
    med, test = mediation_tables([(SPEC, fits, [])], 0.95, 100, 1)
    assert len(test) == 1 and test["status"].iloc[0] == fits.status
    assert test["message"].iloc[0] and np.isnan(test["chisq"].iloc[0])
    assert len(med) == 1 and med["status"].iloc[0] == fits.status


def test_a_missing_column_is_a_status_row():
    wide = chain_wide().drop(columns=["m2_T1"])
    fits, _ = chain_by_arm(wide, SPEC, "arm", ARMS, robust=True)
    assert fits.status == "not_estimable" and "m2_T1" in fits.message
