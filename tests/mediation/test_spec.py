"""Config-driven analysis specs (pipeline/mediation/spec.py)."""

from __future__ import annotations

import pytest
from mediation_helpers import COVARIATES, SCALES, WAVES, specs

from pipeline.errors import ConfigError
from pipeline.mediation.spec import Binding, build_specs


def one(analysis: dict):
    return specs({"a": analysis})[0]


BASE = {
    "x": {"construct": "group_memberships", "change": ["T0", "T1"]},
    "mediators": [{"construct": "belonging", "wave": "T1"}],
    "y": {"construct": "qol", "wave": "T1"},
}


def test_no_analyses_configured_gives_no_chain():
    # issue 13: an empty mediation.analyses is no analysis, never the demo's published chain
    assert build_specs({}, SCALES, WAVES, COVARIATES) == ()


def test_change_binding_columns():
    spec = one(BASE)
    assert spec.x == Binding("group_memberships", change=("T0", "T1"))
    assert spec.x.column == "group_memberships_change_T0_T1"
    assert spec.x.source_columns == ("group_memberships_T0", "group_memberships_T1")


def test_unknown_construct_lists_valid_names():
    with pytest.raises(ConfigError) as e:
        one({**BASE, "mediators": [{"construct": "belongin", "wave": "T1"}]})
    msg = str(e.value)
    assert "mediation.analyses.a.mediators[0].construct" in msg
    assert "did you mean 'belonging'" in msg
    assert "group_memberships, belonging, support, loneliness, qol" in msg


@pytest.mark.parametrize("binding, fragment", [
    ({"construct": "qol", "wave": "T9"}, "Valid waves: T0, T1, T2"),
    ({"construct": "qol", "change": ["T1", "T0"]}, "earlier to a later wave"),
    ({"construct": "qol"}, "no 'wave'"),
    ({"construct": "qol", "wave": "T1", "change": ["T0", "T1"]}, "not both"),
])
def test_bad_wave_bindings(binding, fragment):
    with pytest.raises(ConfigError, match=fragment):
        one({**BASE, "y": binding})


def test_unknown_covariate_and_a_variable_twice():
    with pytest.raises(ConfigError, match="Valid covariates: age, gender"):
        one({**BASE, "covariates": ["agee"]})
    with pytest.raises(ConfigError, match="appear twice"):
        one({**BASE, "y": {"construct": "belonging", "wave": "T1"}})


def test_adjust_baseline_adds_first_wave_levels_but_not_the_variable_itself():
    spec = one({**BASE, "adjust_baseline": True, "covariates": ["age", "gender"]})
    assert [b.column for b in spec.baseline_bindings] == [
        "group_memberships_T0", "belonging_T0", "qol_T0"]
    assert spec.categorical == {"gender": ("Woman", "Man", "Non-binary / other")}


def test_half_longitudinal_design_assigns_waves():
    spec = one({"design": "half_longitudinal", "x": "group_memberships",
                "mediators": ["belonging", "support"], "y": "qol"})
    assert spec.x.column == "group_memberships_T0"
    assert [m.column for m in spec.mediators] == ["belonging_T1", "support_T1"]
    assert spec.y.column == "qol_T2"
    assert spec.adjust_baseline
    # X is its own baseline; the mediators' and the outcome's T0 levels are controlled.
    assert [b.column for b in spec.baseline_bindings] == ["belonging_T0", "support_T0", "qol_T0"]
    with pytest.raises(ConfigError, match="three waves"):
        specs({"h": {"design": "half_longitudinal", "x": "qol", "mediators": ["support"],
                     "y": "belonging"}}, waves=["T0", "T1"])
