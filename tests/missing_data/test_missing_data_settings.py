"""Tests for pipeline.missing_data.settings: the only reader of the ``missing_data`` section."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.missing_data.settings import delta_grid, from_config
from pipeline.settings import section_defaults

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def _cfg(raw, section):
    raw = copy.deepcopy(raw)
    if section is None:
        raw.pop("missing_data", None)
    else:
        raw["missing_data"] = section
    return config_from_dict(raw, root=ROOT)


def test_demo_config(raw):
    s = from_config(_cfg(raw, raw["missing_data"]))
    assert s.primary == "fiml" and s.columns is None
    assert (s.mice.method, s.mice.m, s.mice.m_min, s.mice.m_max) == ("pmm", None, 5, 100)
    assert (s.mice.iterations, s.mice.donors, s.mice.ridge) == (100, 5, 1e-5)
    sens = s.sensitivity
    assert (sens.outcome, sens.baseline_wave, sens.wave, sens.units, sens.mode) == (
        "qol", "T0", "T1", "points", "post")
    assert sens.deltas == tuple(float(x) for x in range(-20, 21))


def test_defaults_live_in_the_schema_and_derive_from_the_study(raw):
    d = section_defaults("missing_data")
    assert d["m"] == "auto" and d["primary"] == "fiml" and d["sensitivity"]["outcome"] is None
    s = from_config(_cfg(raw, None))
    # null outcome / wave: the one outcome of the study's mediation analyses (the demo's chain
    # ends in qol) and the second wave of this study
    assert s.sensitivity.outcome == "qol" and s.sensitivity.runs
    assert s.sensitivity.wave == raw["waves"][1]["id"]
    assert s == from_config(_cfg(raw, {"sensitivity": {}}))


def test_derived_outcome_is_not_hard_coded(raw):
    r = copy.deepcopy(raw)
    r["scales"]["wellbeing"] = r["scales"].pop("qol")
    r["mediation"]["analyses"]["social_cure_chain"]["y"]["construct"] = "wellbeing"
    r["crosslag"]["analyses"] = None
    r.pop("missing_data", None)
    s = from_config(config_from_dict(r, root=ROOT))
    assert s.sensitivity.outcome == "wellbeing"


def test_no_outcome_without_one_mediation_outcome_skips_the_tipping_point(raw):
    # issue 13: no scale name is guessed; the tipping point is skipped and the reason names
    # the key to set
    r = copy.deepcopy(raw)
    r["mediation"]["analyses"] = {}
    r["missing_data"]["sensitivity"].pop("outcome", None)
    s = from_config(config_from_dict(r, root=ROOT)).sensitivity
    assert s.outcome is None and not s.runs
    assert "missing_data.sensitivity.outcome" in s.skip_reason
    r["mediation"]["analyses"] = {
        "a": {"x": "support", "mediators": ["belonging"], "y": "qol", "design": "custom"},
        "b": {"x": "support", "mediators": ["belonging"], "y": "loneliness"}}
    s = from_config(config_from_dict(r, root=ROOT)).sensitivity
    assert s.outcome is None and "different outcomes (loneliness, qol)" in s.skip_reason


def test_one_wave_study_is_not_checked_against_later_waves(raw):
    # the wing waits for a second wave: sensitivity.wave T1 names a wave not configured yet
    r = copy.deepcopy(raw)
    r["waves"] = r["waves"][:1]
    r["missing_data"]["sensitivity"]["wave"] = "T1"
    s = from_config(config_from_dict(r, root=ROOT))
    assert not s.sensitivity.runs and "waits for a second wave" in s.sensitivity.skip_reason


@pytest.mark.parametrize("section, match", [
    ({"primary": "ml"}, "missing_data.primary"),
    ({"m": 1}, "missing_data.m"),
    ({"m": "lots"}, "missing_data.m"),
    ({"iterations": 0}, "missing_data.iterations"),
    ({"donors": 2.5}, "missing_data.donors"),
    ({"m_min": 10, "m_max": 5}, "missing_data.m_max"),
    ({"sensitivity": {"outcome": "qoll"}}, "did you mean 'qol'"),
    ({"sensitivity": {"wave": "T0"}}, "missing_data.sensitivity.wave.*follow-up"),
    ({"sensitivity": {"mode": "both"}}, "missing_data.sensitivity.mode"),
    ({"sensitivty": {}}, "did you mean 'sensitivity'"),
])
def test_bad_values_name_the_key(raw, section, match):
    with pytest.raises(ConfigError, match=match):
        from_config(_cfg(raw, section))


def test_m_integer_and_predictors(raw):
    s = from_config(_cfg(raw, {"m": 20, "predictors": {"qol_T1": ["qol_T0", "age"]}}))
    assert s.mice.m == 20 and s.mice.predictors == {"qol_T1": ("qol_T0", "age")}


def test_delta_grid():
    assert delta_grid({"from": -1, "to": 1, "step": 0.5}) == (-1.0, -0.5, 0.0, 0.5, 1.0)
    assert delta_grid([3, -2]) == (3.0, -2.0)
