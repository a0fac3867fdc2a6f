"""Every preset of pipeline.instruments validates, and unknown names are refused by key."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.instruments import BATTERIES, INSTRUMENTS, PRESET_NAMES, instrument
from pipeline.instruments.model import PRORATION, SCORING_RULES
from pipeline.instruments.scoring import table_score_range


@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_each_preset_is_complete_and_consistent(name):
    p = INSTRUMENTS[name]
    assert p.name == name
    assert p.items and len(set(p.items)) == len(p.items)
    assert p.range[0] < p.range[1]
    assert set(p.reverse) <= set(p.items)
    assert p.score in SCORING_RULES and p.proration in PRORATION
    assert p.higher_is in ("better", "worse")
    assert p.reference and p.licence and p.verified and p.title
    if p.min_items is not None:
        assert 1 <= p.min_items <= p.n_items
    if p.response_labels and len(p.response_labels) > 2:  # one label per code
        assert len(p.response_labels) == int(p.range[1] - p.range[0]) + 1
    if p.mid is not None:
        assert p.mid.value > 0 and p.mid.reference
        if p.mid.low is not None:
            assert p.mid.low <= p.mid.value <= p.mid.high
    lo, hi = _score_range(p)
    for b in p.bands:
        assert lo <= b.low <= b.high <= hi
    assert [b.low for b in p.bands] == sorted(b.low for b in p.bands)
    assert p.bands_reference or not p.bands


@pytest.mark.parametrize("name", sorted(n for n, p in INSTRUMENTS.items() if p.lookup))
def test_lookup_tables_cover_every_raw_sum(name):
    p = INSTRUMENTS[name]
    raws = [r for r, _ in p.lookup]
    assert raws == list(range(int(p.n_items * p.range[0]), int(p.n_items * p.range[1]) + 1))
    values = [v for _, v in p.lookup]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert p.proration == "none"  # no published proration rule for a table score


@pytest.mark.parametrize("name", sorted(n for n, p in INSTRUMENTS.items() if p.value_sets))
def test_value_sets_are_declared_and_only_verified_ones_bundled(name):
    p = INSTRUMENTS[name]
    default = p.value_set(p.default_value_set)
    assert default is not None and default.bundled and default.verified != "not bundled"
    for vs in p.value_sets:
        assert vs.reference
        if vs.bundled:
            assert len(vs.decrements) == p.n_items
            assert all(len(d) == int(p.range[1]) and d[0] == 0.0 for d in vs.decrements)
            assert all(list(d) == sorted(d) for d in vs.decrements)
        else:
            assert vs.note and not vs.decrements


def test_batteries_name_existing_single_item_presets():
    for b in BATTERIES.values():
        assert b.reference and b.licence
        for suffix, member in b.members:
            assert suffix.isidentifier() and INSTRUMENTS[member].n_items == 1


def test_the_brief_minimum_is_there():
    for name in ("ucla3", "ons4", "swemwbs", "wemwbs", "eq5d5l", "eq_vas", "mspss", "uls8",
                 "exits_multiple_groups", "exits_group_continuity", "exits_new_groups",
                 "social_identification", "identity_compatibility"):
        assert name in PRESET_NAMES
    assert INSTRUMENTS["wemwbs"].mid.value == 3.0
    assert [(b.label, b.low) for b in INSTRUMENTS["ucla3"].bands] == [("not lonely", 3),
                                                                        ("lonely", 6)]


def test_an_unknown_name_is_refused_naming_the_key_and_listing_presets():
    with pytest.raises(ConfigError) as e:
        instrument("ucla_3", "scales.loneliness.instrument")
    msg = str(e.value)
    assert "scales.loneliness.instrument" in msg and "did you mean 'ucla3'" in msg
    assert all(n in msg for n in PRESET_NAMES)


def _score_range(p):
    r = table_score_range(p, p.score, p.default_value_set)
    if r is not None:
        return r
    k = p.n_items if p.score == "sum" else 1
    return (p.range[0] * k, p.range[1] * k)


def test_every_preset_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "instruments.md").read_text()
    assert [n for n in PRESET_NAMES if f"`{n}`" not in doc] == []
