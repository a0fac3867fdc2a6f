"""Config loading and validation: every problem names the key and the fix."""

from __future__ import annotations

import copy

import pytest
import yaml

from pipeline.config import config_from_dict, load_config
from pipeline.errors import ConfigError


@pytest.fixture
def raw(project_root):
    with open(project_root / "config" / "config.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_shipped_config_is_valid(project_root):
    cfg = load_config(project_root / "config" / "config.yaml")
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
