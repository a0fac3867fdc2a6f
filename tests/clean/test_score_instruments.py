"""Scoring of instrument presets by pipeline.clean.score (lookup, index, proration) and the
config -> Scale -> score path."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.clean.score import score_scale, score_scales
from pipeline.config import Scale, config_from_dict
from pipeline.errors import ConfigError
from pipeline.instruments import INSTRUMENTS

ROOT = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
nan = np.nan


def _config(**scales):
    raw = copy.deepcopy(RAW)
    raw["scales"].update(scales)
    return config_from_dict(raw, root=ROOT)


def test_swemwbs_is_scored_through_the_table_and_needs_every_item():
    sc = _config(wb={"instrument": "swemwbs"}).scales["wb"]
    assert sc.min_items == 7 and sc.score_range == (7.0, 35.0)
    df = pd.DataFrame({it: [1, 3, 5, 3] for it in sc.items})
    df.loc[3, sc.items[0]] = nan
    out = score_scale(df, sc)
    assert out.tolist()[:3] == [7.00, 19.25, 35.00] and np.isnan(out.iloc[3])


def test_a_prorated_lookup_when_the_study_allows_it():
    sc = _config(wb={"instrument": "swemwbs", "proration": "mean", "min_items": 6}).scales["wb"]
    df = pd.DataFrame({it: [3.0] for it in sc.items})
    df[sc.items[0]] = nan  # mean 3 x 7 = 21 -> 19.25
    assert score_scale(df, sc).iloc[0] == 19.25


def test_eq5d_index_from_renamed_columns():
    cols = ["mo", "sc", "ua", "pd", "ad"]
    sc = _config(eq={"instrument": "eq5d5l", "items": cols}).scales["eq"]
    assert sc.value_set == "england_devlin2018" and sc.score_range == (-0.285, 1.0)
    df = pd.DataFrame([[1, 1, 1, 1, 1], [5, 5, 5, 5, 5], [2, 1, 3, 4, 1],
                       [1, nan, 1, 1, 1]], columns=cols, dtype=float)
    out = score_scale(df, sc)
    assert out.iloc[:3].tolist() == pytest.approx([1.0, -0.285, 0.603], abs=1e-12)
    assert np.isnan(out.iloc[3])


def test_sum_and_mean_presets_score_as_before():
    c = _config(lon2={"instrument": "ucla3", "items": ["u1", "u2", "u3"], "min_items": 2},
                ons={"instrument": "ons4", "items": ["s", "w", "h", "a"]})
    df = pd.DataFrame({"u1": [1, 3], "u2": [2, nan], "u3": [3, 3], "a": [7, nan]})
    assert score_scale(df, c.scales["lon2"]).tolist() == [6.0, 9.0]
    assert c.scales["lon2"].score_range == (3.0, 9.0)
    anx = score_scale(df, c.scales["ons_anxiety"])
    assert anx.iloc[0] == 7 and np.isnan(anx.iloc[1])


def test_score_scales_logs_a_missing_index_like_any_score():
    sc = _config(eq={"instrument": "eq5d5l"}).scales["eq"]
    long = pd.DataFrame({"wave": ["T0", "T0"], **{it: [1.0, nan] for it in sc.items}})
    out, log = score_scales(long, {"eq": sc})
    assert out["eq"].iloc[0] == 1.0 and log["action"].tolist() == ["score_missing"]


def test_a_table_score_without_its_table_is_a_config_error():
    bad = Scale(key="b", items=("a",), range=(1.0, 5.0), score="lookup")
    with pytest.raises(ConfigError, match="scales.b.score"):
        score_scale(pd.DataFrame({"a": [1.0]}), bad)
    bad = Scale(key="e", items=("a",), range=(1.0, 5.0), score="index", instrument="eq5d5l",
                value_set="nice_dsu_mapping")
    with pytest.raises(ConfigError, match="scales.e.value_set"):
        score_scale(pd.DataFrame({"a": [1.0]}), bad)


def test_the_config_refuses_a_typo_in_the_instrument_name():
    with pytest.raises(ConfigError, match=r"scales\.wb\.instrument: 'swembws'.*swemwbs"):
        _config(wb={"instrument": "swembws"})


def test_a_config_without_instruments_builds_the_same_scales():
    raw = copy.deepcopy(RAW)
    for sc in raw["scales"].values():  # the demo's loneliness names the UCLA-3 preset
        sc.pop("instrument", None)
    plain = config_from_dict(copy.deepcopy(raw), root=ROOT)
    assert all(s.instrument is None and s.proration == "mean" for s in plain.scales.values())
    assert plain.raw["scales"] == raw["scales"]


@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_every_preset_scores_its_floor_ceiling_and_a_hand_computed_row(name):
    raw = copy.deepcopy(RAW)
    raw["scales"] = {"p": {"instrument": name}}
    sc = config_from_dict(raw, root=ROOT).scales["p"]
    lo, hi = sc.range
    k = len(sc.items)
    mixed = [lo + (i % int(hi - lo + 1)) for i in range(k)]  # lo, lo+1, ... cycling
    df = pd.DataFrame([[lo] * k, [hi] * k, mixed], columns=list(sc.items), dtype=float)
    out = score_scale(df, sc).tolist()
    assert (out[0], out[1]) == pytest.approx(sc.score_range[::-1] if sc.score == "index"
                                             else sc.score_range)
    hand = {"mean": np.mean(mixed), "sum": np.sum(mixed)}.get(sc.score)
    if sc.score == "lookup":
        hand = dict(INSTRUMENTS[name].lookup)[int(np.sum(mixed))]
    if sc.score == "index":
        vs = INSTRUMENTS[name].value_set(sc.value_set)
        hand = 1 - sum(vs.decrements[d][int(v) - 1] for d, v in enumerate(mixed))
    assert out[2] == pytest.approx(hand)
