"""pipeline.comparison.settings: when the wing runs, its cross-checks and the primary method."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.comparison.settings import NO_COMPARISON, from_config, inactive
from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.plan import study_plan
from pipeline.status import Status
from pipeline.validate import stage_settings_json

ROOT = Path(__file__).resolve().parents[2]
ARMS = ["Social prescribing", "Usual care"]


@pytest.fixture(scope="module")
def raw() -> dict:
    cfg = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    cfg["covariates"]["arm"] = {"column": "arm", "type": "categorical", "levels": ARMS}
    return cfg


def _cfg(raw: dict, section: dict | None, **top):
    cfg = copy.deepcopy(raw)
    if section is not None:
        cfg["comparison"] = section
    cfg.update(top)
    return config_from_dict(cfg, root=ROOT)


def test_without_a_group_the_wing_says_single_group(raw):
    for section in (None, {}, {"group": None}):
        status, reason = inactive(_cfg(raw, section))
        assert status is Status.NOT_RUN and reason == NO_COMPARISON
        assert "single group, no comparison" in reason
    assert not study_plan(_cfg(raw, None))["comparison"].runs


def test_switched_off_one_arm_and_one_wave_do_not_run(raw):
    assert inactive(_cfg(raw, {"group": "arm", "enabled": False}))[0] is Status.NOT_RUN
    one = copy.deepcopy(raw)
    one["covariates"]["arm"]["levels"] = ["Social prescribing"]
    status, reason = inactive(_cfg(one, {"group": "arm"}))
    assert status is Status.NOT_RUN and "one level (Social prescribing)" in reason
    cfg = copy.deepcopy(raw)
    cfg["waves"] = cfg["waves"][:1]
    status, reason = inactive(_cfg(cfg, {"group": "arm"}))
    assert status is Status.WAITS_FOR_DATA and "second wave" in reason


def test_runs_with_a_two_arm_group_and_fills_defaults(raw):
    cfg = _cfg(raw, {"group": "arm", "reference": "Usual care", "adjust_for": ["age", "gender"]})
    assert inactive(cfg) is None and study_plan(cfg)["comparison"].runs
    s = from_config(cfg)
    assert (s.reference, s.programme) == ("Usual care", "Social prescribing")
    assert s.randomised is False and s.weighting == "overlap"
    assert s.outcomes == tuple(raw["scales"]) and s.adjusted_for == ("age", "gender")
    assert s.primary == "fiml" and s.methods[0] == "fiml" and "weighted" in s.methods
    assert '"group": "arm"' in stage_settings_json(cfg, "comparison")


def test_reference_defaults_to_the_first_level_and_randomised_is_unadjusted(raw):
    s = from_config(_cfg(raw, {"group": "arm", "randomised": True, "adjust_for": ["age"],
                               "weighting": "none"}))
    assert (s.reference, s.programme) == ("Social prescribing", "Usual care")
    assert s.adjusted_for == () and "weighted" not in s.methods


@pytest.mark.parametrize("section,words", [
    ({"group": "arms"}, ["comparison.group", "'arms'", "did you mean 'arm'"]),
    ({"group": "age"}, ["numeric", "categorical covariate"]),
    ({"group": "arm", "reference": "Control"}, ["comparison.reference", "'Control'"]),
    ({"group": "arm", "adjust_for": ["arm"]}, ["adjust_for", "the group itself"]),
    ({"group": "arm", "adjust_for": ["agee"]}, ["adjust_for", "did you mean 'age'"]),
    ({"group": "arm", "outcomes": ["lonely"]}, ["comparison.outcomes", "'lonely'"]),
])
def test_config_mistakes_are_named(raw, section, words):
    with pytest.raises(ConfigError) as err:
        from_config(_cfg(raw, section))
    for w in words:
        assert w in str(err.value)


def test_three_arms_are_refused_with_the_fix(raw):
    cfg = copy.deepcopy(raw)
    cfg["covariates"]["arm"]["levels"] = [*ARMS, "Waiting list"]
    with pytest.raises(ConfigError, match="level_map"):
        from_config(_cfg(cfg, {"group": "arm"}))


def test_primary_method_follows_missing_data_with_a_stand_in_for_ipw(raw):
    md = copy.deepcopy(raw["missing_data"])
    s = from_config(_cfg(raw, {"group": "arm"}, missing_data={**md, "primary": "mi"}))
    assert s.primary == "mi" and s.methods[0] == "mi" and s.primary_note == ""
    s = from_config(_cfg(raw, {"group": "arm"}, missing_data={**md, "primary": "ipw"}))
    assert s.primary == "fiml" and "FIML stands in" in s.primary_note
    s = from_config(_cfg(raw, {"group": "arm"},
                         missing_data={**md, "primary": "fiml", "enabled": False}))
    assert "mi" not in s.methods


def test_by_arm_chains_and_crosslags_default_to_every_configured_analysis(raw):
    s = from_config(_cfg(raw, {"group": "arm"}))
    assert [c.name for c in s.chains] == [a for a in raw["mediation"]["analyses"]]
    assert s.chains[0].x.column  # the mediation wing's spec, not a copy of the config
    assert [p.name for p in s.panels] == list(raw["crosslag"]["analyses"] or
                                              ["all_constructs"])
    p = s.panels[0]
    assert p.waves == tuple(w["id"] for w in raw["waves"]) and "clpm" in p.models
    assert s.mc_draws == raw["mediation"]["fiml"]["mc_draws"]


def test_by_arm_selection_none_and_unknown_names(raw):
    s = from_config(_cfg(raw, {"group": "arm", "mediation": [], "crosslag": []}))
    assert s.chains == () and s.panels == ()
    with pytest.raises(ConfigError, match=r"comparison.mediation: \['nope'\] are not "
                                          r"configured mediation.analyses"):
        from_config(_cfg(raw, {"group": "arm", "mediation": ["nope"]}))
    with pytest.raises(ConfigError, match="comparison.crosslag"):
        from_config(_cfg(raw, {"group": "arm", "crosslag": ["nope"]}))
    off = _cfg(raw, {"group": "arm"}, crosslag={"enabled": False},
               mediation={"analyses": {}})
    s = from_config(off)  # the wings do not run: nothing by arm unless named
    assert s.chains == () and s.panels == ()


def test_by_arm_settings_are_in_the_rule_params(raw):
    a = stage_settings_json(_cfg(raw, {"group": "arm"}), "comparison")
    b = stage_settings_json(_cfg(raw, {"group": "arm", "crosslag": []}), "comparison")
    assert a != b and '"panels"' in a
