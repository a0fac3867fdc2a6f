"""What the clean stage reads from the core config (pipeline.clean.settings)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

from pipeline.clean.settings import CORE_KEYS, SECTION, from_config
from pipeline.config import config_from_dict

ROOT = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def test_cleaning_rules_from_the_config_with_schema_defaults():
    assert SECTION is None and "cleaning" in CORE_KEYS
    raw = copy.deepcopy(RAW)
    raw["cleaning"] = {"unmatched_followup": "keep", "min_id_overlap": 0.3}
    s = from_config(config_from_dict(raw, root=ROOT)).cleaning
    assert s.unmatched_followup == "keep" and s.min_id_overlap == 0.3
    assert s.max_unmatched_share == 0.1  # the core schema's default
    raw["cleaning"]["max_unmatched_share"] = 0.25
    assert from_config(config_from_dict(raw, root=ROOT)).cleaning.max_unmatched_share == 0.25


def test_settings_are_json_and_hold_no_salt():
    import dataclasses

    cfg = config_from_dict(RAW, root=ROOT)
    text = json.dumps(dataclasses.asdict(from_config(cfg)), default=str)
    assert cfg.salt not in text
    assert from_config(cfg).wave_ids == [w["id"] for w in RAW["waves"]]
