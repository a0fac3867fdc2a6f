"""pipeline.healthcare.settings: the only reader of the ``healthcare`` section; and the change
wing's filter of count constructs (pipeline.change.settings reads them through it)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.change.settings import from_config as change_settings
from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.healthcare.settings import count_constructs, from_config, inactive
from pipeline.plan import study_plan
from pipeline.settings import section_defaults
from pipeline.status import Status

ROOT = Path(__file__).resolve().parents[2]
GP = {"items": ["gp_visits"], "range": [0, 60], "label": "GP visits"}
OUTCOMES = {"gp_visits": {"construct": "gp_visits", "label": "GP visits in the last 3 months",
                          "period_months": 3}}
CHAIN = {"x": {"construct": "group_memberships", "change": ["T0", "T1"]},
         "mediators": [{"construct": "belonging", "wave": "T1"},
                       {"construct": "loneliness", "wave": "T1"}],
         "y": {"outcome": "gp_visits", "wave": "T1"}, "covariates": ["age"]}


@pytest.fixture
def raw_cfg():
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["scales"]["gp_visits"] = dict(GP)
    return raw


def _cfg(raw, healthcare):
    raw = copy.deepcopy(raw)
    if healthcare is not None:
        raw["healthcare"] = healthcare
    return config_from_dict(raw, root=ROOT)


def test_defaults_live_in_the_schema():
    d = section_defaults("healthcare")
    assert d == {"enabled": True, "outcomes": {}, "model": "auto", "zero_inflation": "auto",
                 "conf": 0.95, "bootstrap_B": 2000, "mc_draws": 20000, "mediation": {}}


def test_without_outcomes_the_wing_does_not_run(raw_cfg):
    cfg = _cfg(raw_cfg, None)
    status, reason = inactive(cfg)
    assert status is Status.NOT_RUN and "healthcare.outcomes is empty" in reason
    assert not study_plan(cfg)["healthcare"].runs
    assert count_constructs(cfg) == ()


def test_switched_off_and_one_wave(raw_cfg):
    assert "healthcare.enabled: false" in inactive(
        _cfg(raw_cfg, {"enabled": False, "outcomes": OUTCOMES}))[1]
    one = copy.deepcopy(raw_cfg)
    one["waves"] = one["waves"][:1]
    for k in ("crosslag", "mediation", "missing_data"):
        one.pop(k, None)
    status, reason = inactive(_cfg(one, {"outcomes": OUTCOMES}))
    assert status is Status.WAITS_FOR_DATA and "second wave" in reason


def test_outcomes_and_chain_resolved(raw_cfg):
    s = from_config(_cfg(raw_cfg, {"outcomes": OUTCOMES, "mediation": {"gp_chain": CHAIN}}))
    o = s.outcomes["gp_visits"]
    assert (o.construct, o.label, o.period_months) == (
        "gp_visits", "GP visits in the last 3 months", 3.0)
    (ch,) = s.chains
    assert ch.x.column == "group_memberships_change_T0_T1"
    assert [m.column for m in ch.mediators] == ["belonging_T1", "loneliness_T1"]
    assert ch.y_column == "gp_visits_T1" and ch.covariates == (("age", "age", ()),)
    assert s.figure_stems == ["healthcare_gp_visits"] and s.seed == raw_cfg["seed"]
    assert s.primary == "fiml" and s.waves == ("T0", "T1", "T2")


def test_label_defaults_to_the_scale_label(raw_cfg):
    s = from_config(_cfg(raw_cfg, {"outcomes": {"gp": {"construct": "gp_visits",
                                                       "period_months": 3}}}))
    assert s.outcomes["gp"].label == "GP visits"


def test_problems_named_together(raw_cfg):
    bad_chain = copy.deepcopy(CHAIN)
    bad_chain["y"] = {"outcome": "gp_visit", "wave": "T1"}
    bad_chain["covariates"] = ["agee"]
    with pytest.raises(ConfigError) as e:
        from_config(_cfg(raw_cfg, {
            "outcomes": {"gp": {"construct": "loneliness", "period_months": 3},
                         "ae": {"construct": "ae_visits", "period_months": 12}},
            "mediation": {"c": bad_chain}}))
    msg = str(e.value)
    assert "healthcare.outcomes.gp.construct: scale 'loneliness' has 3 items" in msg
    assert "healthcare.outcomes.ae.construct: 'ae_visits' is not a configured scale" in msg
    assert "healthcare.mediation.c.covariates: 'agee'" in msg and "did you mean 'age'" in msg
    assert "healthcare.mediation.c.y.outcome: 'gp_visit'" in msg


def test_a_change_must_go_forward(raw_cfg):
    chain = copy.deepcopy(CHAIN)
    chain["x"] = {"construct": "group_memberships", "change": ["T1", "T0"]}
    with pytest.raises(ConfigError, match="earlier to a later wave"):
        from_config(_cfg(raw_cfg, {"outcomes": OUTCOMES, "mediation": {"c": chain}}))


def test_unknown_key_refused_at_load(raw_cfg):
    with pytest.raises(ConfigError, match="zero_inflaton|zero_inflation"):
        _cfg(raw_cfg, {"outcomes": OUTCOMES, "zero_inflaton": "never"})


def test_change_wing_skips_count_constructs(raw_cfg):
    cfg = _cfg(raw_cfg, {"outcomes": OUTCOMES})
    s = change_settings(cfg)
    assert s.count_constructs == ("gp_visits",)
    assert "gp_visits" not in s.analysed_scales(cfg.scales)
    assert list(s.analysed_scales(cfg.scales)) == list(raw_cfg["scales"])[:-1]
    plain = change_settings(_cfg(raw_cfg, None))
    assert plain.count_constructs == () and "gp_visits" in plain.analysed_scales(cfg.scales)


def test_a_comparison_group_is_read_through_the_comparison_settings():
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo_controlled.yaml").read_text())
    s = from_config(config_from_dict(copy.deepcopy(raw), root=ROOT))
    a = s.arms
    assert (a.group, a.group_column, a.reference, a.programme, a.randomised) == (
        "arm", "arm", "Usual care", "Social prescribing", False)
    assert a.adjust_for == (("age", "age", ()),
                            ("gender", "gender", ("Woman", "Man", "Non-binary / other")))
    assert s.tables == ["change", "mediation", "sentences", "comparison"]
    raw["comparison"]["randomised"] = True
    assert from_config(config_from_dict(copy.deepcopy(raw), root=ROOT)).arms.adjust_for == ()
    raw["comparison"]["enabled"] = False
    assert from_config(config_from_dict(raw, root=ROOT)).arms is None


def test_without_a_comparison_group_no_by_arm_table(raw_cfg):
    s = from_config(_cfg(raw_cfg, {"outcomes": OUTCOMES}))
    assert s.arms is None and s.tables == ["change", "mediation", "sentences"]


def test_imputed_sets_used_only_when_the_chain_is_in_the_imputation_model(raw_cfg):
    raw = copy.deepcopy(raw_cfg)
    hc = {"outcomes": OUTCOMES, "mediation": {"gp_chain": CHAIN}}
    raw["missing_data"]["columns"] = None  # every scale and covariate at every wave
    s = from_config(_cfg(raw, hc))
    assert s.impute_runs and s.uses_imputations and s.not_imputed(s.chains[0]) == []
    assert s.imputation_model["columns"] is None and "m" in str(s.imputation_model["mice"])
    raw["missing_data"]["columns"] = ["age", "group_memberships_T0", "group_memberships_T1",
                                      "belonging_T1", "loneliness_T1"]
    s = from_config(_cfg(raw, hc))
    assert not s.uses_imputations and s.imputation_model == {}
    assert s.not_imputed(s.chains[0]) == ["gp_visits_T1"]
    raw["missing_data"]["columns"].append("gp_visits_T1")
    assert from_config(_cfg(raw, hc)).uses_imputations
    raw["missing_data"]["enabled"] = False
    s = from_config(_cfg(raw, hc))
    assert not s.impute_runs and not s.uses_imputations
    assert not from_config(_cfg(raw_cfg, {"outcomes": OUTCOMES})).uses_imputations  # no chain
