"""Fixtures and helpers of the moderation tests (imported by this unique module name; conftest.py
re-exports the fixtures): the R reference data (tests/fixtures/moderation, made by
moderation_reference.R) and settings built the way the stage builds them."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.moderation.settings import ModerationAnalysis, from_config

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "moderation"

ANALYSIS = {"outcome": "loneliness", "predictor": "group_memberships",
            "moderator": "identification", "waves": ["T0", "T1"],
            "covariates": ["age", "gender"]}


def demo_raw(analyses: dict | None = None, **sections) -> dict:
    """The demo study's config with an identification scale, gender levels as in the fixture
    and a moderation section."""
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["scales"]["identification"] = {"instrument": "social_identification"}
    raw["covariates"]["gender"]["levels"] = ["Woman", "Man", "Another term"]
    raw["moderation"] = {"analyses": copy.deepcopy(analyses if analyses is not None
                                                   else {"identification_buffers": ANALYSIS})}
    raw.update(sections)
    return raw


@pytest.fixture
def raw_cfg() -> dict:
    return demo_raw()


@pytest.fixture
def settings(raw_cfg):
    return from_config(config_from_dict(raw_cfg, root=ROOT))


@pytest.fixture
def analysis(settings) -> ModerationAnalysis:
    return settings.analyses[0]


@pytest.fixture(scope="session")
def wide() -> pd.DataFrame:
    return pd.read_csv(FIX / "moderation_wide.csv")
