"""pipeline.comparison.analysis: the change table under every method, roles and stand-ins."""

from __future__ import annotations

import numpy as np
import pytest
from two_arm_study import two_arm_wide

from pipeline.comparison.analysis import CHANGE_COLUMNS, MEANS_COLUMNS, comparison_estimates
from pipeline.comparison.balance import WEIGHT, propensity_weights
from pipeline.comparison.frame import ARM, build_design

WAVES = ["T0", "T1", "T2"]
UNITS = {"loneliness": ("points on the 3-9 UCLA-3 sum", 3.0, 9.0),
         "group_memberships": ("points", 1.0, 7.0)}


def _design(wide):
    d = build_design(wide, group="arm", reference="Usual care", programme=None,
                     adjust_for=["age", "gender"],
                     covariate_types={"age": "numeric", "gender": "categorical"},
                     covariate_levels={"gender": ["Woman", "Man"]},
                     scales=["loneliness", "group_memberships"], waves=WAVES,
                     outcomes=["loneliness", "group_memberships"])
    w, _, _ = propensity_weights(d.frame, ARM, [*d.covariates, "loneliness_T0"], "overlap")
    d.frame[WEIGHT] = w
    return d


def _run(design, methods=("fiml", "complete_case", "weighted"), primary="fiml", **kw):
    args = dict(methods=list(methods), primary=primary, aux_list=lambda k: [], joint=True,
                fiml_se="robust", conf=0.95, min_cell=10, units=UNITS,
                adjusted_for=("age", "gender"))
    return comparison_estimates(design, ["loneliness", "group_memberships"], WAVES,
                                **(args | kw))


@pytest.fixture(scope="module")
def design():
    return _design(two_arm_wide(400, 5))


def test_table_shape_roles_and_planted_effect(design):
    change, means = _run(design)
    assert list(change.columns) == CHANGE_COLUMNS and list(means.columns) == MEANS_COLUMNS
    # 2 outcomes x 2 follow-ups x 3 estimands x 3 methods
    assert len(change) == 36 and (change["status"] == "ok").all()
    prim = change[change["role"] == "primary"]
    assert set(prim["method"]) == {"fiml"}
    did = prim[(prim["estimand"] == "difference in change") & (prim["outcome"] == "loneliness")]
    assert (did["est"] < 0).all() and did["arm"].eq("programme - reference").all()
    assert (did["ci_lower"] < did["est"]).all() and (did["est"] < did["ci_upper"]).all()
    assert set(change["adjusted_for"]) == {"age, gender", "propensity weights"}
    assert set(means["role_arm"]) == {"programme", "reference"}
    assert not (means["method"] == "weighted").any()


def test_wave_answered_by_too_few_in_an_arm_is_not_estimated(design):
    wide = two_arm_wide(400, 5)
    ref = wide["arm"] == "Usual care"
    keep = wide.index[ref & wide["loneliness_T2"].notna()][:5]
    wide.loc[ref & ~wide.index.isin(keep), "loneliness_T2"] = np.nan
    change, _ = _run(_design(wide), methods=("fiml", "complete_case"))
    t2 = change[(change["outcome"] == "loneliness") & (change["wave"] == "T2")]
    assert len(t2) == 1 and t2["status"].iloc[0] == "not_estimable"
    assert "fewer than 10" in t2["message"].iloc[0] and np.isnan(t2["est"].iloc[0])
    t1 = change[(change["outcome"] == "loneliness") & (change["wave"] == "T1")]
    assert (t1["status"] == "ok").all()


def test_primary_without_imputations_names_its_stand_in(design):
    change, _ = _run(design, methods=("mi", "fiml", "complete_case"), primary="mi")
    prim = change[change["role"] == "primary"]
    assert (prim["method"] == "mi").all() and (prim["status"] == "not_estimable").all()
    assert (prim["stands_in"] == "fiml").all()
    assert prim["message"].str.contains("fiml stands in for the primary method").all()
