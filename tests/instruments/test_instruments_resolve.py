"""A scale named by its instrument is filled in from the preset; what the scale writes wins."""

from __future__ import annotations

import copy

import pytest

from pipeline.instruments import PRESET_NAMES, resolve_scales


def _one(entry, key="k"):
    out, problems = resolve_scales({key: entry})
    assert problems == []
    return out


def test_a_preset_fills_in_every_key():
    sc = _one({"instrument": "ucla3"})["k"]
    assert sc["items"] == ["ucla3_1", "ucla3_2", "ucla3_3"] and sc["range"] == [1.0, 3.0]
    assert sc["score"] == "sum" and sc["reverse"] == [] and sc["instrument"] == "ucla3"
    assert sc["label"] == "Loneliness (UCLA-3)" and "mid" not in sc
    sw = _one({"instrument": "swemwbs"})["k"]
    assert sw["score"] == "lookup" and sw["proration"] == "none" and sw["mid"] == 1.0
    eq = _one({"instrument": "eq5d5l"})["k"]
    assert eq["score"] == "index" and eq["value_set"] == "england_devlin2018"


def test_what_the_scale_writes_overrides_the_preset():
    given = {"instrument": "wemwbs", "items": [f"w{i}" for i in range(14)], "label": "WB",
             "min_items": 12, "mid": 4, "label_map": "often5", "missing_codes": [-99]}
    sc = _one(given)["k"]
    assert sc["items"] == given["items"] and sc["label"] == "WB" and sc["min_items"] == 12
    assert sc["mid"] == 4 and sc["label_map"] == "often5" and sc["missing_codes"] == [-99]
    assert sc["score"] == "sum" and sc["range"] == [1.0, 5.0]  # not written: the preset's
    assert _one({"instrument": "swemwbs", "score": "sum"})["k"]["score"] == "sum"


def test_reverse_keys_follow_renamed_items_by_position():
    items = [f"l{i}" for i in range(1, 9)]
    sc = _one({"instrument": "uls8", "items": items})["k"]
    assert sc["reverse"] == ["l3", "l6"]
    assert _one({"instrument": "uls8", "items": items, "reverse": []})["k"]["reverse"] == []
    _, problems = resolve_scales({"k": {"instrument": "uls8", "items": items[:4]}})
    assert "scales.k.items" in problems[0] and "scales.k.reverse" in problems[0]


def test_the_input_is_not_changed():
    given = {"k": {"instrument": "ucla3"}, "p": {"items": ["a"], "range": [0, 1]}}
    before = copy.deepcopy(given)
    out, _ = resolve_scales(given)
    assert given == before and out["p"] == before["p"] and out["p"] is not given["p"]


def test_a_typo_in_the_name_is_refused_naming_the_key_and_listing_presets():
    _, problems = resolve_scales({"lonely": {"instrument": "ucla_3"}})
    assert len(problems) == 1
    assert problems[0].startswith("config key scales.lonely.instrument: 'ucla_3'")
    assert "did you mean 'ucla3'" in problems[0] and all(n in problems[0] for n in PRESET_NAMES)


@pytest.mark.parametrize(("entry", "key_named", "words"), [
    ({"instrument": "swemwbs", "items": ["a", "b"]}, "scales.k.items", "exactly 7 items"),
    ({"instrument": "swemwbs", "range": [0, 4]}, "scales.k.range", "coded 1-5"),
    ({"instrument": "swemwbs", "min_items": 6}, "scales.k.min_items", "proration: none"),
    ({"instrument": "eq5d5l", "value_set": "england"}, "scales.k.value_set",
     "did you mean 'england_devlin2018'"),
    ({"instrument": "eq5d5l", "value_set": "nice_dsu_mapping"}, "scales.k.value_set",
     "declared but not bundled"),
    ({"instrument": "eq5d5l", "value_set": "uk_5l_2026"}, "scales.k.value_set",
     "not bundled"),
    ({"instrument": "ucla3", "score": "lookup"}, "scales.k.score", "no conversion table"),
    ({"instrument": "ucla3", "score": "index"}, "scales.k.score", "no value set"),
    ({"instrument": "ucla3", "value_set": "england_devlin2018"}, "scales.k.value_set",
     "score: index"),
    ({"items": ["a"], "range": [1, 5], "score": "lookup"}, "scales.k.score", "instrument"),
    ({"items": ["a"], "range": [1, 5], "value_set": "x"}, "scales.k.value_set", "instrument"),
    ({"items": ["a", "b"], "range": [1, 5], "proration": "none", "min_items": 1},
     "scales.k.min_items", "proration"),
])
def test_overrides_that_break_the_scoring_are_refused_by_key(entry, key_named, words):
    _, problems = resolve_scales({"k": entry})
    assert len(problems) == 1, problems
    assert f"config key {key_named}" in problems[0] and words in problems[0]


def test_a_battery_becomes_one_scale_per_item_in_place():
    scales = {"first": {"items": ["a"], "range": [0, 1]},
              "wb": {"instrument": "ons4", "items": ["s", "w", "h", "x"], "label": "Wellbeing",
                     "missing_codes": [-9]},
              "last": {"items": ["b"], "range": [0, 1]}}
    out, problems = resolve_scales(scales)
    assert problems == []
    assert list(out) == ["first", "wb_life_satisfaction", "wb_worthwhile", "wb_happiness",
                         "wb_anxiety", "last"]
    anx = out["wb_anxiety"]
    assert anx["items"] == ["x"] and anx["instrument"] == "ons_anxiety"
    assert anx["missing_codes"] == [-9] and anx["label"].startswith("Wellbeing: ")
    assert out["wb_life_satisfaction"]["range"] == [0.0, 10.0]


def test_battery_problems_name_the_key():
    _, problems = resolve_scales({"wb": {"instrument": "ons4", "items": ["a", "b"]}})
    assert "scales.wb.items" in problems[0] and "4 items" in problems[0]
    _, problems = resolve_scales({"wb": {"instrument": "ons4"},
                                  "wb_anxiety": {"items": ["q"], "range": [0, 10]}})
    assert any("scales.wb.instrument" in p and "'wb_anxiety'" in p for p in problems)
