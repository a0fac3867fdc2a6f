"""Config loading and validation: every problem names the key and the fix."""

from __future__ import annotations

import copy

import pytest
import yaml

from pipeline.config import config_from_dict, load_config
from pipeline.errors import ConfigError


@pytest.fixture
def raw(project_root):
    with open(project_root / "config" / "studies" / "demo.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_shipped_config_is_valid(project_root):
    cfg = load_config(project_root / "config" / "studies" / "demo.yaml")
    assert cfg.wave_ids == ["T0", "T1", "T2"]
    assert cfg.scales["support"].reverse == ("ss4",)
    assert cfg.scales["support"].label_map["Strongly agree"] == 7
    assert cfg.min_cell == 10


def test_unknown_key_suggests_closest(raw):
    bad = copy.deepcopy(raw)
    bad["scales"]["support"]["reverse_items"] = ["ss4"]
    with pytest.raises(ConfigError,
                       match=r"scales\.support.*'reverse_items'.*did you mean 'reverse'"):
        config_from_dict(bad)


def test_reverse_item_not_in_scale(raw):
    bad = copy.deepcopy(raw)
    bad["scales"]["support"]["reverse"] = ["ss9"]
    with pytest.raises(ConfigError, match=r"scales\.support\.reverse: 'ss9' is not one of"):
        config_from_dict(bad)


def test_unknown_label_map(raw):
    bad = copy.deepcopy(raw)
    bad["scales"]["belonging"]["label_map"] = "agree_7"
    with pytest.raises(ConfigError, match=r"no label map named 'agree_7'.*did you mean 'agree7'"):
        config_from_dict(bad)


def test_months_must_increase_and_ids_unique(raw):
    bad = copy.deepcopy(raw)
    bad["waves"][2]["months"] = 2
    bad["waves"][1]["id"] = "T0"
    with pytest.raises(ConfigError) as exc:
        config_from_dict(bad)
    msg = str(exc.value)
    assert "2 problem(s)" in msg and "appear more than once" in msg and "must increase" in msg


def test_same_file_for_two_waves(raw):
    bad = copy.deepcopy(raw)
    bad["waves"][1]["file"] = bad["waves"][0]["file"]
    with pytest.raises(ConfigError, match="same file"):
        config_from_dict(bad)


def test_wrong_type_names_key(raw):
    bad = copy.deepcopy(raw)
    bad["scales"]["qol"]["min_items"] = "one"
    with pytest.raises(ConfigError, match=r"scales\.qol\.min_items"):
        config_from_dict(bad)


def test_salt_from_environment(raw, monkeypatch):
    monkeypatch.setenv("SOCIALCURE_SALT", "from-env")
    assert config_from_dict(raw).salt == "from-env"


def test_missing_required_key(raw):
    bad = copy.deepcopy(raw)
    del bad["id_column"]
    with pytest.raises(ConfigError, match="id_column"):
        config_from_dict(bad)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


# --- the evaluator-facing keys added for real exports (issue 13) --------------------------------


def test_new_keys_defaults(raw):
    cfg = config_from_dict(raw)
    assert cfg.duplicates == "most_complete" and cfg.time_order == "refuse"
    assert cfg.min_answered == 1 and cfg.exclude_if == () and cfg.id_pattern is None
    assert "n/a" in cfg.missing_words and "" in cfg.missing_words
    assert cfg.waves[0].events == () and cfg.waves[0].exclude_if == ()
    assert cfg.scales["support"].range_by_wave == {}
    assert cfg.covariates["gender"].level_map is None
    assert cfg.covariates["gender"].first_nonempty is False


def test_new_keys_read(raw):
    ok = copy.deepcopy(raw)
    ok["cleaning"].update(duplicates="latest", time_order="log", min_answered=2,
                          exclude_if=["Finished == 0"], missing_words=["n/a", "refused"])
    ok["id_pattern"] = r"SP\d{4}"
    ok["waves"][1].update(event=["visit_1_arm_1", "visit_1_arm_2"], exclude_if=["Progress < 100"])
    ok["scales"]["group_memberships"]["range_by_wave"] = {"T1": [0, 6]}
    ok["covariates"]["gender"].update(event="enrolment_arm_1",
                                      level_map={"female": "Woman", "1": "Woman", "x": None})
    cfg = config_from_dict(ok)
    assert cfg.duplicates == "latest" and cfg.time_order == "log" and cfg.min_answered == 2
    assert cfg.exclude_if == ("Finished == 0",) and cfg.missing_words == ("n/a", "refused")
    assert cfg.id_pattern == r"SP\d{4}"
    assert cfg.waves[1].events == ("visit_1_arm_1", "visit_1_arm_2")
    assert cfg.waves[1].exclude_if == ("Progress < 100",)
    assert cfg.scales["group_memberships"].range_by_wave == {"T1": (0.0, 6.0)}
    assert cfg.covariates["gender"].event == "enrolment_arm_1"
    assert cfg.covariates["gender"].level_map == {"female": "Woman", "1": "Woman", "x": None}


def test_single_event_stays_a_string(raw):
    ok = copy.deepcopy(raw)
    ok["waves"][0]["event"] = "baseline_arm_1"
    assert config_from_dict(ok).waves[0].events == ("baseline_arm_1",)


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (lambda c: c["scales"]["support"].update(range_by_wave={"T9": [0, 6]}),
         r"scales\.support\.range_by_wave\.T9: 'T9' is not a wave id"),
        (lambda c: c["scales"]["support"].update(range_by_wave={"T1": [0, 10]}),
         r"range_by_wave\.T1: \[0, 10\] must span as many codes"),
        (lambda c: c["covariates"]["gender"].update(level_map={"f": "Female"}),
         r"covariates\.gender\.level_map: \['Female'\] are not among"),
        (lambda c: c["covariates"]["age"].update(level_map={"x": "y"}),
         r"covariates\.age\.level_map: only a categorical covariate"),
        (lambda c: c["covariates"]["age"].update(event="e1", first_nonempty=True),
         r"covariates\.age: give either 'event'"),
        (lambda c: c["waves"][1].update(repeat_instrument="visits"),
         r"waves \(T1\)\.repeat_instrument: give the wave's 'instance'"),
        (lambda c: c.update(id_pattern="SP(\\d{4}"), r"config key id_pattern: 'SP\(\\d\{4\}'"),
        (lambda c: c["cleaning"].update(duplicates="most_complete_then_latest"),
         r"cleaning\.duplicates: 'most_complete_then_latest' is not one of"),
        (lambda c: c["waves"][1].update(event=[]), r"waves\.1\.event"),
    ],
)
def test_new_keys_refused_with_the_key(raw, edit, pattern):
    bad = copy.deepcopy(raw)
    edit(bad)
    with pytest.raises(ConfigError, match=pattern):
        config_from_dict(bad)


def test_waves_from_one_file_by_instance_allowed(raw):
    ok = copy.deepcopy(raw)
    for i, w in enumerate(ok["waves"]):
        w.update(file="data/raw/repeats.csv", repeat_instrument="visits", instance=i + 1)
    assert [w.instance for w in config_from_dict(ok).waves] == [1, 2, 3]
