"""Tests for pipeline.missing_data.sentences: the tipping-point sentence (house style)."""

from __future__ import annotations

from missing_data_helpers import conclusions_table as _table

from pipeline.missing_data.sentences import _unit, tipping_sentence
from pipeline.stats.tipping import tipping_delta


def test_sentence_uncertain_both_directions_matches_house_style():
    t = _table({-4.0: "negative", -3.0: "negative", -2.0: "uncertain", 0.0: "uncertain",
                2.0: "uncertain", 5.0: "uncertain", 6.0: "positive", 7.0: "positive"})
    assert tipping_delta(t) == {"negative": -3.0, "positive": 6.0}
    assert tipping_sentence(t, "Quality of life (EQ VAS)") == (
        "If people who left the study were like similar people who stayed, there is no clear "
        "change in quality of life (EQ VAS). This would become a clear decrease only if people "
        "who left had scores on average 3 points lower than similar people who stayed, and a "
        "clear increase only if they had scores 6 points higher.")


def test_sentence_uncertain_one_direction_only():
    t = _table({-20.0: "uncertain", 0.0: "uncertain", 4.5: "positive", 20.0: "positive"})
    assert tipping_delta(t) == {"negative": None, "positive": 4.5}
    s = tipping_sentence(t, "belonging", "points")
    assert ("This would become a clear increase only if people who left had scores on average "
            "4.5 points higher than similar people who stayed.") in s
    assert s.endswith("Even if they had scores 20 points lower, it would not become a clear "
                      "decrease.")
    t = _table({-8.0: "negative", 0.0: "uncertain", 20.0: "uncertain"})
    s = tipping_sentence(t, "belonging")
    assert ("become a clear decrease only if people who left had scores on average 8 points "
            "lower") in s
    assert s.endswith("Even if they had scores 20 points higher, it would not become a clear "
                      "increase.")


def test_sentence_clear_result_tips():
    t = _table({-14.0: "uncertain", -12.0: "uncertain", -10.0: "positive", 0.0: "positive",
                10.0: "positive"})
    assert tipping_delta(t) == {"negative": -12.0, "positive": None}
    assert tipping_sentence(t, "quality-of-life", "points") == (
        "If people who left the study were like similar people who stayed, there is a clear "
        "increase in quality-of-life. The finding of a clear increase would no longer hold if "
        "people who left had scores on average 12 points lower than similar people who stayed.")
    t = _table({-10.0: "negative", 0.0: "negative", 7.0: "uncertain", 10.0: "positive"})
    assert tipping_delta(t) == {"negative": None, "positive": 7.0}
    s = tipping_sentence(t, "loneliness")
    assert s.endswith("there is a clear decrease in loneliness. The finding of a clear decrease "
                      "would no longer hold if people who left had scores on average 7 points "
                      "higher than similar people who stayed.")


def test_sentence_clear_result_holds_over_the_grid():
    t = _table({-20.0: "positive", 0.0: "positive", 20.0: "positive"})
    assert tipping_delta(t) == {"negative": None, "positive": None}
    assert tipping_sentence(t, "quality of life") == (
        "If people who left the study were like similar people who stayed, there is a clear "
        "increase in quality of life. The finding of a clear increase did not change within the "
        "range examined (\u03b4 from \u221220 to +20 points), that is, even if people who left had "
        "scores on average up to 20 points lower or up to 20 points higher than similar people "
        "who stayed.")


def test_sentence_says_one_point_not_one_points():
    assert _unit(1.0, "points") == "point" and _unit(-1, "points") == "point"
    assert _unit(2, "points") == "points" and _unit(1, "mm") == "mm"


def test_sentence_keeps_a_fine_delta_grid():
    """A δ grid of 0.25 on a 1-7 scale: the sentence says 0.25 and 0.5, never '0.2' or '0'
    (found on a real pre/post Qualtrics study)."""
    t = _table({-0.5: "negative", -0.25: "negative", 0.0: "uncertain", 0.25: "uncertain",
                0.5: "positive"})
    s = tipping_sentence(t, "trust", "points")
    assert "0.25 points lower" in s and "0.5 points higher" in s
    assert "0.2 points" not in s and " 0 points" not in s
