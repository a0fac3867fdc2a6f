"""Tests for pipeline/attrition/settings.py and settings.schema.yaml."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.attrition.settings import AttritionSettings, from_config
from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.settings import section_defaults

ROOT = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def _settings(section) -> AttritionSettings:
    raw = copy.deepcopy(RAW)
    if section is None:
        raw.pop("attrition", None)
    else:
        raw["attrition"] = section
    return from_config(config_from_dict(raw, root=ROOT))


def test_demo_config_resolves_the_documented_defaults():
    s = _settings(RAW["attrition"])
    scales = list(RAW["scales"])
    covs = RAW["covariates"]
    assert s.predictors == tuple(list(covs) + [f"{k}_T0" for k in scales])
    assert s.categorical == tuple(k for k, c in covs.items() if c["type"] == "categorical")
    assert s.mcar_variables[: len(scales) + 1][1:] == tuple(f"{k}_T0" for k in scales)
    assert s.notable_smd == 0.2 and s.firth_on_separation is True
    assert s.ipw_stabilised is True and s.ipw_truncate == (0.01, 0.99)
    assert _settings(None) == s  # the schema defaults are the demo config's values


def test_defaults_live_in_the_schema():
    d = section_defaults("attrition")
    assert d == {"enabled": True, "predictors": None, "categorical": None, "notable_smd": 0.2,
                 "firth_on_separation": True, "mcar_variables": None,
                 "ipw": {"stabilised": True, "truncate": [0.01, 0.99],
                         "sequential": True}}


def test_partial_ipw_section_keeps_other_defaults():
    s = _settings({"ipw": {"truncate": [0.05, 0.95]}, "firth_on_separation": False,
                   "predictors": ["age", "qol_T0"], "categorical": []})
    assert s.ipw_truncate == (0.05, 0.95) and s.ipw_stabilised is True
    assert s.firth_on_separation is False and s.predictors == ("age", "qol_T0")
    assert s.categorical == () and _settings({"ipw": {"truncate": None}}).ipw_truncate is None


@pytest.mark.parametrize("section, match", [
    ({"predictor": ["age"]}, "predictor"),                 # unknown key, with a suggestion
    ({"ipw": {"stabilized": True}}, "stabilized"),         # unknown nested key
    ({"ipw": {"truncate": [0.99, 0.01]}}, "truncate"),     # lower above upper
    ({"ipw": {"truncate": [0.5]}}, "truncate"),
    ({"notable_smd": 0}, "notable_smd"),
    ({"firth_on_separation": "yes"}, "firth_on_separation"),
    ({"predictors": ["agee"]}, "attrition.predictors"),    # not a column of the wide data
    ({"mcar_variables": ["qol_T9"]}, "attrition.mcar_variables"),
])
def test_bad_values_are_refused_naming_the_key(section, match):
    with pytest.raises(ConfigError, match=match):
        _settings(section)


def test_enabled_and_one_wave_decide_whether_attrition_runs():
    from pipeline.attrition.settings import inactive

    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    assert inactive(config_from_dict(raw, root=ROOT)) is None
    raw["attrition"]["enabled"] = False
    status, why = inactive(config_from_dict(raw, root=ROOT))
    assert status == "not_run" and "attrition.enabled: false" in why
    raw["attrition"]["enabled"] = True
    raw["waves"] = raw["waves"][:1]
    status, why = inactive(config_from_dict(raw, root=ROOT))
    assert status == "waits_for_data" and why.startswith("waits for a second wave")
