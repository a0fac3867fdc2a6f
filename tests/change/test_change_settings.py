"""Tests for pipeline.change.settings: schema defaults, types, enums and the scale cross-checks."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest
import yaml

from pipeline.change.settings import CORE_KEYS, ChangeSettings, from_config
from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.validate import stage_settings_json

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def _settings(raw: dict, section: dict | None) -> ChangeSettings:
    cfg = copy.deepcopy(raw)
    if section is None:
        cfg.pop("change", None)
    else:
        cfg["change"] = section
    return from_config(config_from_dict(cfg, root=ROOT))


def test_defaults_live_in_the_schema(raw):
    s = _settings(raw, None)
    assert set(s.imputation_model) == {"columns", "mice"}  # what the MI rows' imputations used
    s = dataclasses.replace(s, imputation_model={})
    assert s == ChangeSettings(time="wave", p_adjust="holm", reml=True,
                               optimizers=("lbfgs", "bfgs", "powell"),
                               covariate_weights="proportional", conf_level=0.95,
                               # the demo's loneliness is the UCLA-3 preset: lower is better
                               # by the preset, with no change section written
                               rci_criterion=1.96, higher_is_better={"loneliness": False},
                               reliability={},
                               primary="fiml", methods=("fiml", "mi", "ipw", "lmm",
                                                        "complete_case"),
                               auxiliary="auto", fiml_se="robust", funder_effect_size="d")
    assert s.is_higher_better("qol")


def test_shipped_config(raw):
    s = _settings(raw, raw["change"])
    assert s.higher_is_better == {"loneliness": False} and not s.is_higher_better("loneliness")
    assert s.time == "wave" and s.p_adjust == "holm" and s.reml is True


def test_values_are_read(raw):
    s = _settings(raw, {"time": "months", "reliability": {"qol": 0.7},
                        "higher_is_better": {"qol": False}, "covariate_weights": "equal",
                        "rci_criterion": 2, "optimizers": ["powell"]})
    assert s.time == "months" and s.reliability == {"qol": 0.7}
    assert s.higher_is_better == {"qol": False, "loneliness": False}  # + the UCLA-3 preset's
    assert s.covariate_weights == "equal"
    assert s.rci_criterion == 2.0 and isinstance(s.rci_criterion, float)
    assert s.optimizers == ("powell",)


@pytest.mark.parametrize("section, match", [
    ({"p_adjus": "holm"}, "did you mean 'p_adjust'"),
    ({"p_adjust": "tukey"}, "change.p_adjust"),
    ({"time": "days"}, "change.time"),
    ({"reliability": {"qoll": 0.7}}, "did you mean 'qol'"),
    ({"reliability": {"qol": 1.2}}, "change.reliability.qol"),
    ({"higher_is_better": {"qol": "no"}}, "change.higher_is_better.qol"),
    ({"higher_is_better": {"lonelyness": False}}, "did you mean 'loneliness'"),
    ({"conf_level": 95}, "change.conf_level"),
    ({"rci_criterion": -1}, "change.rci_criterion"),
    ({"covariate_weights": "cells"}, "change.covariate_weights"),
    ({"reml": "yes"}, "change.reml"),
    ({"optimizers": []}, "change.optimizers"),
])
def test_errors_name_the_key(raw, section, match):
    with pytest.raises(ConfigError, match=match):
        _settings(raw, section)


def test_params_hold_settings_and_core_keys_only(raw):
    cfg = config_from_dict(copy.deepcopy(raw), root=ROOT)
    payload = json.loads(stage_settings_json(cfg, "change"))
    assert set(payload["core"]) == set(CORE_KEYS)
    assert payload["settings"]["higher_is_better"] == {"loneliness": False}
    other = copy.deepcopy(raw)
    other["change"]["p_adjust"] = "bonferroni"
    changed = json.loads(stage_settings_json(config_from_dict(other, root=ROOT), "change"))
    assert changed["settings"]["p_adjust"] == "bonferroni" and changed["core"] == payload["core"]


def test_primary_method_settings(raw):
    s = _settings(raw, None)
    assert s.primary == "fiml" and s.auxiliary == "auto" and s.fiml_se == "robust"
    assert s.funder_effect_size == "d"
    assert s.change_methods == ("fiml", "mi", "ipw", "lmm", "complete_case")
    cfg = copy.deepcopy(raw)
    cfg["missing_data"]["primary"] = "mi"
    cfg["change"] = {"methods": ["lmm"], "auxiliary": ["age", "qol_T0"], "fiml_se": "standard"}
    s = from_config(config_from_dict(cfg, root=ROOT))
    assert s.primary == "mi" and s.change_methods == ("mi", "lmm")  # primary always estimated
    assert s.auxiliary == ("age", "qol_T0") and s.fiml_se == "standard"


def test_auxiliary_must_name_wide_columns(raw):
    with pytest.raises(ConfigError, match="change.auxiliary: 'qol_T9'.*did you mean 'qol_T"):
        _settings(raw, {"auxiliary": ["qol_T9"]})
    with pytest.raises(ConfigError):
        _settings(raw, {"auxiliary": "sometimes"})


def test_enabled_defaults_to_true_and_switches_to_descriptives(raw):
    assert not _settings(raw, raw["change"]).descriptives_only
    off = _settings(raw, {**raw["change"], "enabled": False})
    assert off.descriptives_only  # the baseline descriptives are still written


def test_one_wave_gives_descriptives_only(raw):
    r = copy.deepcopy(raw)
    r["waves"] = r["waves"][:1]
    assert from_config(config_from_dict(r, root=ROOT)).descriptives_only


def test_methods_whose_stage_does_not_run_are_left_out(raw):
    r = copy.deepcopy(raw)
    r["missing_data"]["enabled"] = False
    r["attrition"]["enabled"] = False
    s = from_config(config_from_dict(r, root=ROOT))
    assert "mi" not in s.methods and "ipw" not in s.methods and "fiml" in s.methods


@pytest.mark.parametrize("primary, section", [("mi", "missing_data"), ("ipw", "attrition")])
def test_primary_method_needs_its_stage(raw, primary, section):
    r = copy.deepcopy(raw)
    r["missing_data"]["primary"] = primary
    r[section]["enabled"] = False
    with pytest.raises(ConfigError, match=f"missing_data.primary: '{primary}' needs the "
                                          f"{section} stage"):
        from_config(config_from_dict(r, root=ROOT))


def _with_presets(raw: dict, change: dict) -> ChangeSettings:
    """The shipped config with loneliness as the UCLA-3 preset (lower is better) and the
    study's own direction line removed unless ``change`` writes one."""
    cfg = copy.deepcopy(raw)
    cfg["scales"]["loneliness"] = {"instrument": "ucla3", "items": ["lon1", "lon2", "lon3"],
                                   "label_map": "ucla3", "label": "Loneliness (UCLA-3)"}
    cfg["change"] = change
    return from_config(config_from_dict(cfg, root=ROOT))


def test_a_preset_sets_the_direction_when_the_study_does_not(raw):
    # the bug this guards: instrument: ucla3 without change.higher_is_better read a rise in
    # loneliness as "reliably improved"
    s = _with_presets(raw, {})
    assert s.higher_is_better == {"loneliness": False}
    assert not s.is_higher_better("loneliness") and s.is_higher_better("qol")


def test_the_study_direction_wins_over_the_preset(raw):
    s = _with_presets(raw, {"higher_is_better": {"loneliness": True, "qol": False}})
    assert s.higher_is_better == {"loneliness": True, "qol": False}
    assert s.is_higher_better("loneliness") and not s.is_higher_better("qol")


def test_a_preset_that_is_higher_better_is_said_so(raw):
    cfg = copy.deepcopy(raw)
    cfg["scales"]["qol"] = {"instrument": "eq_vas", "items": ["eq_vas"]}
    cfg.pop("change", None)
    s = from_config(config_from_dict(cfg, root=ROOT))
    assert s.higher_is_better == {"qol": True, "loneliness": False}
