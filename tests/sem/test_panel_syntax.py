"""pipeline.sem.panel_syntax: the CLPM / RI-CLPM builders moved from the crosslag wing give the
committed syntax files (the crosslag wing's fixtures) and are re-exported there."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.crosslag import models
from pipeline.errors import ModelError
from pipeline.sem.panel_syntax import (
    clpm_syntax,
    model_syntax,
    observed_column,
    riclpm_syntax,
    within_name,
)

MODELS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "lavaan" / "models"


def test_the_crosslag_wing_uses_the_engine_builders():
    assert models.clpm_syntax is clpm_syntax and models.riclpm_syntax is riclpm_syntax
    assert models.model_syntax is model_syntax


def test_syntax_is_byte_identical_to_the_committed_models():
    c2, w3 = ["belonging", "loneliness"], ["T0", "T1", "T2"]
    assert clpm_syntax(c2, w3) == (MODELS_DIR / "clpm_2x3.lav").read_text()
    assert riclpm_syntax(c2, w3) == (MODELS_DIR / "riclpm_2x3.lav").read_text()


def test_names_and_refusals():
    assert observed_column("a", "T1") == "a_T1" and within_name("a", "T1") == "w_a_T1"
    with pytest.raises(ModelError, match="at least 3 waves"):
        riclpm_syntax(["a", "b"], ["T0", "T1"])
    with pytest.raises(ModelError, match="RI-CLPM only"):
        model_syntax("clpm", ["a"], ["T0", "T1"], covariates=["age"])
