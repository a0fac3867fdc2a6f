"""What the ingest stage reads from the core config (pipeline.ingest.settings)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.ingest.settings import CORE_KEYS, SECTION, from_config, wave_params

ROOT = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def _cfg(raw=RAW):
    return config_from_dict(raw, root=ROOT)


def test_no_section_and_core_keys():
    assert SECTION is None
    assert {"waves", "id_column", "scales", "covariates", "label_maps"} <= set(CORE_KEYS)


def test_expected_columns_items_date_and_baseline_covariates():
    s = from_config(_cfg())
    items = [it for sc in s.scales.values() for it in sc.items]
    base = s.expected_columns(s.baseline)
    follow = s.expected_columns(s.waves[1].id)
    covs = [c.column for c in s.covariates.values() if c.wave is None]
    assert base[: len(items)] == items and set(covs) <= set(base)
    assert not set(covs) & set(follow[len(items):])
    with pytest.raises(ConfigError, match="not in config 'waves'"):
        s.wave("T9")


def test_wave_params_change_only_with_that_wave():
    raw = copy.deepcopy(RAW)
    before = {w["id"]: wave_params(_cfg(raw), w["id"]) for w in raw["waves"]}
    raw["waves"][-1]["label"] = "renamed"
    raw["waves"][-1]["date_order"] = "dmy"
    after = {w["id"]: wave_params(_cfg(raw), w["id"]) for w in raw["waves"]}
    last = raw["waves"][-1]["id"]
    assert after[last] != before[last]
    assert all(after[w] == before[w] for w in before if w != last)
    assert json.loads(after[last])["wave"]["date_order"] == "dmy"
