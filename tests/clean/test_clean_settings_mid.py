"""The MID and bands a scale's preset gives, as other wings read them (pipeline.clean.settings)."""

from __future__ import annotations

from pipeline.clean.settings import meaningful_change, score_bands
from pipeline.config import Scale


def _scale(**kw):
    base = dict(key="wb", items=tuple(f"w{i}" for i in range(14)), range=(1.0, 5.0),
                score="sum")
    return Scale(**{**base, **kw})


def test_the_preset_mid_comes_with_its_reference():
    m = meaningful_change(_scale(instrument="wemwbs", mid=3.0))
    assert (m.mid, m.source, m.low, m.high) == (3.0, "preset", 3.0, 8.0)
    assert "Maheswaran" in m.reference


def test_a_mid_set_in_the_config_is_said_to_be_the_study_s_own():
    m = meaningful_change(_scale(instrument="wemwbs", mid=5.0))
    assert (m.mid, m.source) == (5.0, "config") and "scales.wb.mid" in m.reference
    assert meaningful_change(_scale(mid=2)).source == "config"
    assert meaningful_change(_scale()) is None
    assert meaningful_change(_scale(instrument="ucla3")) is None


def test_bands_follow_the_preset_score_only():
    assert [b.label for b in score_bands(_scale(instrument="ucla3"))] == ["not lonely", "lonely"]
    assert score_bands(_scale(instrument="ucla3", score="mean")) == ()
    assert score_bands(_scale()) == ()


def test_the_preset_says_which_direction_is_better():
    from pipeline.clean.settings import preset_higher_is_better

    assert preset_higher_is_better(_scale(instrument="ucla3")) is False
    assert preset_higher_is_better(_scale(instrument="ons_anxiety")) is False
    assert preset_higher_is_better(_scale(instrument="wemwbs")) is True
    assert preset_higher_is_better(_scale()) is None
