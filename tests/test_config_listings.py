"""pipeline.config_listings: the core key ``group_listings`` (multi-select group listings at
entry and follow-up) resolved with defaults, and every problem named with its key and fix."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.config_listings import NONE_VALUES, SELECTED, listing_constructs
from pipeline.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load((ROOT / "config" / "studies" / "demo_controlled.yaml").read_text())


def _cfg(raw, listings):
    r = copy.deepcopy(raw)
    r["group_listings"] = listings
    return config_from_dict(r, root=ROOT)


def test_both_forms_resolve_with_defaults(raw):
    cfg = _cfg(raw, {"listed": {"columns": ["g1", "g2"], "none_column": "g0"},
                     "clubs": {"column": "clubs", "options": ["Sport", "Faith"],
                               "waves": ["T0", "T2"], "delimiter": ","}})
    g, c = cfg.group_listings["listed"], cfg.group_listings["clubs"]
    assert g.waves == ("T0", "T1", "T2") and g.raw_columns == ("g1", "g2", "g0")
    assert g.selected == SELECTED and g.label == "Listed"
    assert g.derived == ("listed_count", "listed_maintained", "listed_gained", "listed_lost")
    assert c.waves == ("T0", "T2") and c.raw_columns == ("clubs",)
    assert c.group_types == ("Sport", "Faith") and c.none_values == NONE_VALUES
    none = {k: v for k, v in raw.items() if k != "group_listings"}
    assert config_from_dict(none, root=ROOT).group_listings == {}


def test_derived_counts_are_constructs_with_labels_waves_and_ranges(raw):
    one = listing_constructs(config_from_dict(raw, root=ROOT).group_listings)
    assert list(one) == ["group_list_count", "group_list_maintained", "group_list_gained",
                         "group_list_lost"]
    assert one["group_list_count"].waves == ("T0", "T1")
    assert one["group_list_gained"].waves == ("T1",)
    assert one["group_list_gained"].label == "Groups gained"
    assert one["group_list_lost"].score_range == (0.0, 8.0)
    cfg = _cfg(raw, {"listed": {"columns": ["g1", "g2"], "label": "Clubs"},
                     "other": {"columns": ["h1"], "waves": ["T0", "T2"]}})
    two = listing_constructs(cfg.group_listings)
    assert two["listed_gained"].label == "Groups gained: clubs"
    assert two["listed_gained"].waves == ("T1", "T2") and two["other_lost"].waves == ("T2",)
    assert two["other_count"].score_range == (0.0, 1.0)


def test_problems_are_named_together(raw):
    with pytest.raises(ConfigError) as e:
        _cfg(raw, {"groups": {"columns": ["g1"], "column": "x", "waves": ["T0", "T9"]},
                   "clubs": {"column": "clubs"},
                   "exits": {"columns": ["exits_cont_1"], "waves": ["T1", "T0"]}})
    msg = str(e.value)
    assert "group_listings.groups: give either 'columns'" in msg
    assert "group_listings.groups.waves: ['T9'] not among the configured waves" in msg
    assert "group_listings.clubs.options: the text form needs" in msg
    assert "group_listings.exits.waves: give at least two waves in time order" in msg
    assert "column 'exits_cont_1' is an item of scale 'groups_maintained'" in msg


def test_a_derived_name_may_not_be_a_scale(raw):
    # demo_controlled has an EXITS scale called groups_maintained
    with pytest.raises(ConfigError, match="derived construct 'groups_maintained' is also a "
                                          "scale key"):
        _cfg(raw, {"groups": {"columns": ["g1", "g2"]}})


def test_unknown_key_refused_by_the_schema(raw):
    with pytest.raises(ConfigError, match="group_listings.clubs: unknown key 'option'"):
        _cfg(raw, {"clubs": {"column": "clubs", "option": ["a"]}})


def test_ingest_reads_the_listing_columns_at_their_waves_only(raw):
    """The listing's columns are read like items at the waves it is asked (ingest drops
    unconfigured columns), and only a study with listings gets them in its ingest params."""
    import json

    from pipeline.ingest.settings import from_config as ingest_settings
    from pipeline.ingest.settings import wave_params

    cfg = _cfg(raw, {"listed": {"columns": ["g1", "g2"], "none_column": "g0",
                                "waves": ["T0", "T2"]}})
    s = ingest_settings(cfg)
    assert {"g1", "g2", "g0"} <= set(s.expected_columns("T0"))
    assert {"g1", "g2", "g0"} <= set(s.expected_columns("T2"))
    assert not {"g1", "g2", "g0"} & set(s.expected_columns("T1"))
    assert json.loads(wave_params(cfg, "T0"))["listing_columns"] == ["g1", "g2", "g0"]
    plain = config_from_dict({k: v for k, v in raw.items() if k != "group_listings"}, root=ROOT)
    assert "listing_columns" not in json.loads(wave_params(plain, "T0"))
