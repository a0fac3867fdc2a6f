"""The mediation config section: schema (types, ranges, unknown keys), defaults from the schema
only, cross-checks against the study config, and what the rule's params depend on."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.mediation.settings import BootMISettings, BootstrapSettings, from_config
from pipeline.validate import stage_settings_json

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def raw():
    return yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def settings_of(raw):
    return from_config(config_from_dict(raw, root=ROOT))


def test_shipped_config(raw):
    s = settings_of(raw)
    assert s.methods == ("fiml", "mi", "complete_case") and s.primary == "fiml"
    assert s.bootstrap == BootstrapSettings(B=5000, ci="percentile", conf=0.95, chunk_draws=None)
    assert s.mi == BootMISettings(B=1000, M=2, iterations=10, method="pmm", donors=5, ridge=1e-5,
                                  blocks=2)  # blocks: auto, one job per 500 samples
    assert (s.mc_draws, s.min_df, s.warn_n) == (20000, 10, 30)
    (spec,) = s.analyses
    assert s.names == ("social_cure_chain",) and spec.adjust_baseline and spec.k == 3
    assert spec.construct_labels["qol"] == "Quality of life (EQ VAS)"


def test_defaults_come_from_the_schema(raw):
    del raw["mediation"]
    s = settings_of(raw)
    assert s.bootstrap.B == 5000 and s.mi.B == 1000 and s.mi.M == 2 and s.mc_draws == 20000
    assert s.fiml_se == "robust" and s.fiml_bootstrap_B == 2000
    assert s.analyses == () and s.names == ()  # no built-in chain (issue 13)


def test_primary_and_imputation_model_come_from_missing_data(raw):
    raw["missing_data"]["primary"] = "mi"
    raw["missing_data"]["donors"] = 3
    s = settings_of(raw)
    assert s.primary == "mi" and s.mi.donors == 3


@pytest.mark.parametrize("path, value, fragment", [
    (("bootstrap", "ci"), "bc", "mediation.bootstrap.ci"),
    (("bootstrap", "B"), 10, "mediation.bootstrap.B"),
    (("bootstrap", "conf"), 1.5, "mediation.bootstrap.conf"),
    (("mi", "M"), 0, "mediation.mi.M"),
    (("fiml", "mc_draws"), 500, "mediation.fiml.mc_draws"),
    (("fiml", "se"), "bootsrap", "mediation.fiml.se"),
    (("fiml", "bootstrap_B"), 50, "mediation.fiml.bootstrap_B"),
    (("fiml", "bootstrap_B"), 2000.5, "mediation.fiml.bootstrap_B"),
    (("fiml", "bootstrap_b"), 2000, "did you mean 'bootstrap_B'"),
    (("min_df",), "ten", "mediation.min_df"),
    (("methods",), ["fiml", "ipw"], "mediation.methods"),
    (("bootstrap", "Bs"), 10, "did you mean 'B'"),
    (("fim",), {}, "did you mean 'fiml'"),
])
def test_schema_refuses_bad_values_naming_the_key(raw, path, value, fragment):
    node = raw["mediation"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        config_from_dict(raw, root=ROOT)


def test_schema_refuses_bad_analyses(raw):
    a = raw["mediation"]["analyses"]["social_cure_chain"]
    for change, fragment in (
        ({"mediator": []}, "did you mean 'mediators'"),
        ({"mediators": [{"construct": "support", "wave": "T1"}] * 5}, "mediators"),
        ({"y": {"construct": "qol", "wav": "T1"}}, "did you mean 'wave'"),
        ({"x": {"construct": "qol", "change": ["T0"]}}, "change"),
        ({"design": "full"}, "design"),
    ):
        bad = copy.deepcopy(raw)
        bad["mediation"]["analyses"]["social_cure_chain"] = {**a, **change}
        with pytest.raises(ConfigError, match=fragment):
            config_from_dict(bad, root=ROOT)


def test_cross_checks_name_the_key_and_the_valid_names(raw):
    raw["mediation"]["analyses"]["social_cure_chain"]["mediators"][0]["construct"] = "belongin"
    cfg = config_from_dict(raw, root=ROOT)
    with pytest.raises(ConfigError) as exc:
        from_config(cfg)
    msg = str(exc.value)
    assert "mediation.analyses.social_cure_chain.mediators[0].construct" in msg
    assert "did you mean 'belonging'" in msg


def test_rule_params_ignore_other_wings_settings(raw):
    """Changing the tipping-point grid (missing_data.sensitivity) does not rerun mediation;
    changing the primary method or this section does."""
    before = stage_settings_json(config_from_dict(raw, root=ROOT), "mediation")
    raw["missing_data"]["sensitivity"]["deltas"] = {"from": -5, "to": 5, "step": 1}
    assert stage_settings_json(config_from_dict(raw, root=ROOT), "mediation") == before
    raw["missing_data"]["primary"] = "complete_case"
    assert stage_settings_json(config_from_dict(raw, root=ROOT), "mediation") != before


HALF = {"design": "half_longitudinal", "x": "group_memberships", "mediators": ["belonging"],
        "y": "qol"}


def test_half_longitudinal_chain_waits_for_a_third_wave(raw):
    from pipeline.mediation.settings import inactive
    from pipeline.plan import study_plan

    r = copy.deepcopy(raw)
    r["waves"] = r["waves"][:2]
    r["mediation"]["analyses"]["half"] = HALF
    cfg = config_from_dict(r, root=ROOT)
    s = from_config(cfg)  # not refused: it waits, and the custom chain still runs
    assert s.names == ("social_cure_chain",)
    ((name, label, why),) = s.waiting
    assert name == label == "half" and why.startswith("waits for a third wave")
    assert inactive(cfg) is None
    r["mediation"]["analyses"] = {"half": HALF}  # every chain waits: the stage waits
    plan = study_plan(config_from_dict(r, root=ROOT))["mediation"]
    assert plan.status == "waits_for_data" and plan.reason.startswith("waits for a third wave")
    r["waves"] = raw["waves"]
    assert from_config(config_from_dict(r, root=ROOT)).names == ("half",)


def test_switched_off_or_one_wave_mediation_does_not_run(raw):
    from pipeline.mediation.settings import inactive, outcome_constructs

    r = copy.deepcopy(raw)
    cfg = config_from_dict(r, root=ROOT)
    assert inactive(cfg) is None and outcome_constructs(cfg) == ("qol",)
    r["mediation"]["enabled"] = False
    cfg = config_from_dict(r, root=ROOT)
    assert inactive(cfg)[1] == "switched off in the config (mediation.enabled: false)"
    assert outcome_constructs(cfg) == ()
    r["mediation"]["enabled"] = True
    r["waves"] = r["waves"][:1]
    assert inactive(config_from_dict(r, root=ROOT))[0] == "waits_for_data"


def test_fiml_bootstrap_is_configured_by_se_and_bootstrap_B(raw):
    raw["mediation"]["fiml"] = {"se": "bootstrap", "bootstrap_B": 300}
    s = settings_of(raw)
    assert (s.fiml_se, s.fiml_bootstrap_B) == ("bootstrap", 300)
    before = stage_settings_json(config_from_dict(raw, root=ROOT), "mediation")
    raw["mediation"]["fiml"]["bootstrap_B"] = 400  # the rule reruns when B changes
    assert stage_settings_json(config_from_dict(raw, root=ROOT), "mediation") != before


@pytest.mark.parametrize("blocks,B,expected", [("auto", 100, 1), ("auto", 1000, 2),
                                               ("auto", 1001, 3), ("auto", 100000, 8),
                                               (4, 1000, 4), (500, 200, 200)])
def test_boot_mi_blocks(raw, blocks, B, expected):
    raw["mediation"]["mi"].update(B=B, blocks=blocks)
    assert settings_of(raw).mi.blocks == expected


def test_boot_mi_blocks_must_be_positive_or_auto(raw):
    raw["mediation"]["mi"]["blocks"] = 0
    with pytest.raises(ConfigError, match="mediation.mi.blocks"):
        settings_of(raw)


def test_block_jobs_read_only_what_imputing_the_samples_needs(raw):
    from pipeline.mediation.settings import mi_block_params

    base = mi_block_params(config_from_dict(copy.deepcopy(raw), root=ROOT))
    other = copy.deepcopy(raw)
    other["mediation"].update(warn_n=40, fiml={"mc_draws": 5000})
    assert mi_block_params(config_from_dict(other, root=ROOT)) == base
    for section, values in [("mi", {"B": 900}), ("mi", {"blocks": 3}), ("min_df", 12)]:
        changed = copy.deepcopy(raw)
        if isinstance(values, dict):
            changed["mediation"][section].update(values)
        else:
            changed["mediation"][section] = values
        assert mi_block_params(config_from_dict(changed, root=ROOT)) != base, section


def test_mi_method_defaults_to_bootmi_and_accepts_rubin(raw):
    s = settings_of(raw)
    assert s.mi_method == "bootmi" and s.bootmi and not s.rubin and s.imputation_model == {}
    raw["mediation"]["mi"]["method"] = "rubin"
    s = settings_of(raw)
    assert s.mi_method == "rubin" and s.rubin and not s.bootmi
    assert s.imputation_model["mice"]["iterations"] == raw["missing_data"]["iterations"]
    raw["mediation"]["methods"] = ["fiml", "complete_case"]  # no mi: neither runs
    s = settings_of(raw)
    assert not s.rubin and not s.bootmi and s.imputation_model == {}


@pytest.mark.parametrize("value", ["Rubin", "boot_mi", 1, None])
def test_mi_method_refuses_other_values_naming_the_key(raw, value):
    raw["mediation"]["mi"]["method"] = value
    with pytest.raises(ConfigError, match=r"mediation\.mi\.method"):
        config_from_dict(raw, root=ROOT)


def test_rubin_needs_the_impute_stage(raw):
    raw["mediation"]["mi"]["method"] = "rubin"
    raw["missing_data"]["enabled"] = False
    raw["missing_data"]["primary"] = "fiml"
    cfg = config_from_dict(raw, root=ROOT)
    with pytest.raises(ConfigError, match=r"mediation\.mi\.method: rubin") as exc:
        from_config(cfg)
    assert "impute stage does not run" in str(exc.value) and "bootmi" in str(exc.value)
    from pipeline.validate import validate_config

    with pytest.raises(ConfigError, match=r"mediation\.mi\.method: rubin"):  # at start-up
        validate_config(copy.deepcopy(raw), ROOT)
    raw["mediation"]["mi"]["method"] = "bootmi"  # boot-MI imputes by itself
    assert settings_of(raw).bootmi


def test_rubin_reruns_when_the_imputation_model_changes(raw):
    """Under rubin the mediation rule reads the imputations (ancient) and reruns when their
    model changes; under bootmi a change of missing_data.iterations does not rerun it."""
    def params(r):
        return stage_settings_json(config_from_dict(r, root=ROOT), "mediation")

    other = copy.deepcopy(raw)
    other["missing_data"]["iterations"] = 7
    assert params(raw) == params(other)
    raw["mediation"]["mi"]["method"] = other["mediation"]["mi"]["method"] = "rubin"
    assert params(raw) != params(other)
