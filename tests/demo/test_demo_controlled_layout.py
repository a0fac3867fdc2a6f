"""pipeline.demo.controlled_layout agrees with config/studies/demo_controlled.yaml (files,
items, ranges, reverse keys, the arm's levels, the instrument presets of the contract)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.demo import controlled_layout as ctl
from pipeline.demo.layout import AGREE7, GENDER_LEVELS, UCLA3

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "studies" / "demo_controlled.yaml"

PRESETS = {
    "loneliness": "ucla3",
    "qol": "eq_vas",
    "identification": "social_identification",
    "compatibility": "identity_compatibility",
    "groups_maintained": "exits_group_continuity",
    "new_groups": "exits_new_groups",
}


def test_waves_files_and_study_id(controlled_cfg):
    cfg = controlled_cfg
    assert cfg.raw["study"]["id"] == "demo_controlled"
    assert [w.id for w in cfg.waves] == list(ctl.WAVES)
    for w in cfg.waves:
        assert Path(w.file) == Path("data/raw") / ctl.STUDY_DIR / ctl.FILES[w.id]
        assert (ROOT / w.file).exists(), f"{w.file}: run python -m pipeline.demo --study controlled"


def test_scales_match_the_layout(controlled_cfg):
    scales = controlled_cfg.scales
    assert {k: tuple(sc.items) for k, sc in scales.items()} == ctl.SCALE_ITEMS
    assert {k: tuple(map(float, sc.range)) for k, sc in scales.items()} == ctl.SCALE_RANGE
    assert {r for sc in scales.values() for r in sc.reverse} == {"ss4"}
    assert scales["loneliness"].score == "sum" and scales["gp_visits"].score == "sum"
    assert scales["gp_visits"].items == ("gp_visits",)


def test_presets_named_as_the_contract_says():
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    got = {k: v.get("instrument") for k, v in raw["scales"].items() if v.get("instrument")}
    assert got == PRESETS


def test_arm_covariate_and_label_maps(controlled_cfg):
    cov = controlled_cfg.covariates
    assert cov["arm"].type == "categorical" and tuple(cov["arm"].levels) == ctl.ARMS
    assert ctl.ARMS == ("Social prescribing", "Usual care")
    assert tuple(cov["gender"].levels) == GENDER_LEVELS
    maps = controlled_cfg.raw["label_maps"]
    assert list(maps["agree7"]) == list(AGREE7) and list(maps["ucla3"]) == list(UCLA3)


def test_the_wings_beyond_one_group_are_configured_on_the_contract_columns():
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert raw["comparison"]["group"] == "arm" and raw["comparison"]["reference"] == "Usual care"
    assert raw["healthcare"]["outcomes"]["gp_visits"]["construct"] == "gp_visits"
    assert {a["moderator"] for a in raw["moderation"]["analyses"].values()} == {
        "identification", "compatibility", "group_list_gained"}


def test_the_group_listing_is_configured_on_the_generated_columns():
    from pipeline.demo.controlled_listings import LISTING_COLUMNS, LISTING_WAVES, NONE_COLUMN

    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    lst = raw["group_listings"]["group_list"]
    assert [*lst["columns"], lst["none_column"]] == list(LISTING_COLUMNS)
    assert lst["none_column"] == NONE_COLUMN and tuple(lst["waves"]) == LISTING_WAVES


@pytest.mark.parametrize("wave", ctl.WAVES)
def test_frames_hold_the_configured_columns(controlled_cfg, controlled_study, wave):
    frame = controlled_study.frames[wave]
    assert frame.columns[0] == controlled_cfg.id_column
    assert set(ctl.ITEM_COLUMNS) <= set(frame.columns)
    assert ("arm" in frame.columns) == (wave == "T0")
    if wave == "T0":
        for c in controlled_cfg.covariates.values():
            assert c.column in frame.columns
