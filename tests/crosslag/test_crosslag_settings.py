"""pipeline.crosslag.settings: the only reader of the ``crosslag`` section."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.crosslag.settings import CrosslagAnalysis, from_config
from pipeline.errors import ConfigError
from pipeline.settings import section_defaults

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def raw_cfg():
    return yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def _cfg(raw, crosslag):
    raw = copy.deepcopy(raw)
    raw["crosslag"] = crosslag
    return config_from_dict(raw, root=ROOT)


def test_defaults_live_in_the_schema():
    d = section_defaults("crosslag")
    assert d["exploratory_min_df"] == 5 and d["exploratory_min_n_last_wave"] == 100
    assert d["models"] == ["clpm", "riclpm"] and d["se"] == "robust"
    assert d["alpha"] == 0.05
    assert d["information"] is None and d["stationarity_test"] is True


def test_defaults_use_all_scales_and_waves(raw_cfg):
    s = from_config(_cfg(raw_cfg, {}))
    assert s.waves == ("T0", "T1", "T2")
    assert s.analyses == {"all_constructs": CrosslagAnalysis(
        tuple(raw_cfg["scales"]), ("clpm", "riclpm"), ())}
    assert s.constraints == ("free", "stationary")


def test_shipped_config(raw_cfg):
    s = from_config(config_from_dict(raw_cfg, root=ROOT))
    assert list(s.analyses) == ["social_cure", "connections_health"]
    assert s.analyses["connections_health"] == CrosslagAnalysis(
        ("group_memberships", "qol"), ("clpm", "riclpm"), ())
    assert s.exploratory_min_df == 5 and s.se == "robust"
    assert "crosslag_social_cure_riclpm" in s.figure_stems and len(s.figure_stems) == 4
    assert len(s.syntax_stems) == 8
    assert "crosslag_connections_health_clpm_stationary" in s.syntax_stems


def test_analysis_inherits_section_models_and_covariates(raw_cfg):
    s = from_config(_cfg(raw_cfg, {"models": ["riclpm"], "covariates": ["age"], "analyses": {
        "a": {"constructs": ["qol"]}, "b": {"constructs": ["qol"], "covariates": []}}}))
    assert s.analyses["a"] == CrosslagAnalysis(("qol",), ("riclpm",), ("age",))
    assert s.analyses["b"].covariates == ()


def test_two_waves_fit_only_free_clpms(raw_cfg):
    s = from_config(_cfg(raw_cfg, {"waves": ["T0", "T1"],
                                   "analyses": {"x": {"constructs": ["qol", "belonging"]}}}))
    assert s.constraints == ("free",)
    assert s.fitted_models("x") == ("clpm",)  # the RI-CLPM needs 3 waves: reported, not fitted
    assert s.figure_stems == ["crosslag_x_clpm"] and s.syntax_stems == ["crosslag_x_clpm_free"]


@pytest.mark.parametrize("bad, match", [
    ({"analyses": {"x": {"constructs": ["wellbeing"]}}}, "crosslag.analyses.x.constructs"),
    ({"waves": ["T0", "T9"]}, "crosslag.waves"),
    ({"waves": ["T1"]}, "at least 2 waves"),
    ({"waves": ["T2", "T0"]}, "time order"),
    ({"analyses": {"x": {"constructs": ["qol"], "covariates": ["income"]}}},
     "crosslag.analyses.x.covariates"),
    ({"covariates": ["income"]}, "crosslag.covariates"),
])
def test_bad_cross_reference_is_named(raw_cfg, bad, match):
    with pytest.raises(ConfigError, match=match):
        from_config(_cfg(raw_cfg, bad))


@pytest.mark.parametrize("bad, match", [
    ({"modles": ["clpm"]}, "did you mean 'models'"),
    ({"analyses": {"x": {"constructs": ["qol"], "models": ["lgcm"]}}}, "crosslag.analyses.x"),
    ({"analyses": {"x": {"constructs": ["qol"], "modles": ["clpm"]}}}, "did you mean"),
    ({"exploratory_min_df": "five"}, "crosslag.exploratory_min_df"),
    ({"exploratory_min_n_last_wave": -1}, "crosslag.exploratory_min_n_last_wave"),
    ({"se": "sandwich"}, "crosslag.se"),
    ({"se": "bootstrap", "bootstrap_B": 10}, "crosslag.bootstrap_B"),
    ({"bootstrap_B": "many"}, "crosslag.bootstrap_B"),
    ({"bootstrap_b": 2000}, "did you mean 'bootstrap_B'"),
    ({"analyses": {"a b": {"constructs": ["qol"]}}}, "crosslag.analyses"),
])
def test_schema_refuses_at_load(raw_cfg, bad, match):
    with pytest.raises(ConfigError, match=match):
        _cfg(raw_cfg, bad)


def test_bootstrap_settings_and_what_the_rule_reruns_on(raw_cfg):
    """B and the seed enter the settings (the rule's params) only with se: bootstrap, so a new
    seed reruns the bootstrapped models and nothing else."""
    from pipeline.validate import stage_settings_json

    s = from_config(_cfg(raw_cfg, {"se": "bootstrap"}))
    assert (s.se, s.bootstrap_B, s.seed) == ("bootstrap", 2000, raw_cfg["seed"])
    assert section_defaults("crosslag")["bootstrap_B"] == 2000
    plain = from_config(_cfg(raw_cfg, {"bootstrap_B": 500}))
    assert (plain.bootstrap_B, plain.seed) == (None, None)

    def params(seed, section):
        raw = copy.deepcopy(raw_cfg)
        raw["seed"] = seed
        raw["crosslag"] = section
        return stage_settings_json(config_from_dict(raw, root=ROOT), "crosslag")

    assert params(1, {}) == params(2, {})
    assert params(1, {"se": "bootstrap"}) != params(2, {"se": "bootstrap"})
    assert params(1, {"se": "bootstrap"}) != params(1, {"se": "bootstrap", "bootstrap_B": 300})
