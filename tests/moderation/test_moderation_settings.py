"""The moderation section: defaults from the schema, cross-checks naming the key, the primary
method from missing_data, when the wing runs, and the figures it declares."""

from __future__ import annotations

import pytest
from moderation_helpers import ANALYSIS, ROOT, demo_raw

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.moderation.settings import from_config, inactive
from pipeline.plan import study_plan
from pipeline.status import Status


def _settings(analysis=None, **sections):
    raw = demo_raw({"a": {**ANALYSIS, **(analysis or {})}}, **sections)
    return from_config(config_from_dict(raw, root=ROOT))


def test_defaults_and_resolution():
    s = _settings({"covariates": []})
    a = s.analyses[0]
    assert (s.conf_level, s.min_df, s.primary, s.stands_in) == (0.95, 10, "fiml", "")
    assert a.moderator_wave == "T0" and a.waves == ("T0", "T1") and a.label == "a"
    assert a.columns == {"y0": "loneliness_T0", "y1": "loneliness_T1",
                         "x0": "group_memberships_T0", "x1": "group_memberships_T1",
                         "w": "identification_T0"}
    assert s.figure_stems == ["moderation_a_slopes", "moderation_a_jn"]
    assert s.scale("loneliness")[1:] == (3.0, 9.0, "sum")


def test_categorical_covariates_carry_their_levels():
    a = _settings().analyses[0]
    assert a.categorical == (("gender", ("Woman", "Man", "Another term")),)


def test_no_predictor_declares_no_figures():
    s = _settings({"predictor": None})
    assert s.analyses[0].predictor is None and s.figure_stems == []
    assert "x0" not in s.analyses[0].columns


@pytest.mark.parametrize("change,match", [
    ({"moderator": "identfication"}, r"moderation.analyses.a.moderator: 'identfication' is not "
                                     r"a scale \(did you mean 'identification'\?\)"),
    ({"predictor": "nope"}, r"moderation.analyses.a.predictor: 'nope' is not a scale"),
    ({"waves": ["T1", "T0"]}, r"moderation.analyses.a.waves: \['T1', 'T0'\] are not in time"),
    ({"waves": ["T0", "T9"]}, r"wave 'T9' is not configured"),
    ({"moderator_wave": "T5"}, r"wave 'T5' is not configured"),
    ({"covariates": ["bmi"]}, r"moderation.analyses.a.covariates: \['bmi'\] are not covariates"),
    ({"predictor": "loneliness"}, r"the outcome 'loneliness' is also the predictor"),
])
def test_cross_checks_name_the_key(change, match):
    with pytest.raises(ConfigError, match=match):
        _settings(change)


def test_schema_refuses_unknown_keys_and_bad_names():
    with pytest.raises(ConfigError, match="mediator"):
        _settings({"mediator": "x"})
    raw = demo_raw({"bad name": ANALYSIS})
    with pytest.raises(ConfigError):
        config_from_dict(raw, root=ROOT)


@pytest.mark.parametrize("primary,used,stands", [("fiml", "fiml", False),
                                                 ("complete_case", "complete_case", False),
                                                 ("mi", "fiml", True), ("ipw", "fiml", True)])
def test_primary_follows_missing_data(primary, used, stands):
    s = _settings(missing_data={"primary": primary})
    assert s.primary == used and s.configured_primary == primary
    assert bool(s.stands_in) == stands
    if stands:
        assert f"missing_data.primary is {primary}" in s.stands_in


def test_inactive_reasons():
    cfg = config_from_dict(demo_raw({}), root=ROOT)
    status, why = inactive(cfg)
    assert status == Status.NOT_RUN and "no moderation analyses configured" in why
    off = demo_raw()
    off["moderation"]["enabled"] = False
    assert inactive(config_from_dict(off, root=ROOT))[1] == (
        "switched off in the config (moderation.enabled: false)")
    one_wave = demo_raw()
    one_wave["waves"] = one_wave["waves"][:1]
    cfg = config_from_dict(one_wave, root=ROOT)
    status, why = inactive(cfg)
    assert status == Status.WAITS_FOR_DATA and why.startswith("waits for a second wave")
    assert not study_plan(cfg)["moderation"].runs
    assert study_plan(config_from_dict(demo_raw(), root=ROOT))["moderation"].runs


def _listing_raw(**analysis):
    raw = demo_raw({"a": {"outcome": "loneliness", "predictor": "group_memberships",
                          "moderator": "grp_gained", "moderator_wave": "T1",
                          "waves": ["T0", "T1"], **analysis}})
    raw["group_listings"] = {"grp": {"columns": ["g_a", "g_b", "g_c"], "none_column": "g_none",
                                     "waves": ["T0", "T1"], "label": "Groups you belong to"}}
    return raw


def test_a_listing_count_is_a_construct_with_its_label_range_and_waves():
    s = from_config(config_from_dict(_listing_raw(), root=ROOT))
    a = s.analyses[0]
    assert a.moderator == "grp_gained" and a.columns["w"] == "grp_gained_T1"
    assert s.scale("grp_gained") == ("Groups gained", 0.0, 3.0, "count")


@pytest.mark.parametrize("analysis,match", [
    ({"moderator": "grp_gaind"}, r"moderation.analyses.a.moderator: 'grp_gaind' is not a scale "
                                 r"or a derived group count \(did you mean 'grp_gained'\?\)"),
    ({"moderator_wave": "T0"}, r"moderation.analyses.a.moderator: the derived count 'grp_gained' "
                               r"exists only at wave\(s\) T1"),
    ({"moderator": "group_memberships", "predictor": "grp_lost"},
     r"moderation.analyses.a.predictor: the derived count 'grp_lost' exists only at"),
    ({"probe": "anchors"}, r"moderation.analyses.a.probe: 'grp_gained' is a count with no "
                           r"response scale"),
    ({"probe": {"values": [0, 4]}}, r"probe.values\[1\]: 4 is outside the possible range of "
                                    r"'grp_gained' \(0 to 3\)"),
])
def test_listing_counts_that_cannot_be_used_name_the_key(analysis, match):
    with pytest.raises(ConfigError, match=match):
        from_config(config_from_dict(_listing_raw(**analysis), root=ROOT))


def test_a_listing_count_can_be_the_predictor_over_its_waves():
    raw = _listing_raw(moderator="identification", moderator_wave=None, predictor="grp_count")
    raw["scales"]["identification"] = {"instrument": "social_identification"}
    a = from_config(config_from_dict(raw, root=ROOT)).analyses[0]
    assert (a.columns["x0"], a.columns["x1"]) == ("grp_count_T0", "grp_count_T1")
