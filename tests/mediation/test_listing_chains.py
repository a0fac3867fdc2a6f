"""A mediation chain may name a group listing's derived counts (issue 16): ``<key>_count`` at
every listing wave, ``_maintained`` / ``_gained`` / ``_lost`` at the later ones
(pipeline/config_listings.py: listing_constructs), read from the same wide columns
``<name>_<wave>`` as the moderation wing, with the listing's label and 0..k range."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mediation_helpers import wide_from_chain

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.mediation.analysis import run_analyses
from pipeline.mediation.frame import model_columns
from pipeline.mediation.sentences import describe_mediation
from pipeline.mediation.settings import from_config, outcome_constructs
from pipeline.mediation.units import unit_columns

ROOT = Path(__file__).resolve().parents[2]
LISTING = {"grp": {"columns": ["g_a", "g_b", "g_c", "g_d"], "none_column": "g_none",
                   "waves": ["T0", "T1"], "label": "Groups you belong to"}}
CHAIN = {"mediators": [{"construct": "belonging", "wave": "T1"},
                       {"construct": "support", "wave": "T1"}],
         "y": {"construct": "qol", "wave": "T1"}, "covariates": ["age"]}


def _raw(x, adjust=False, **chain) -> dict:
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["group_listings"] = copy.deepcopy(LISTING)
    raw["mediation"].update(methods=["fiml", "complete_case"], bootstrap={"B": 200},
                            fiml={"mc_draws": 1000})
    raw["mediation"]["analyses"] = {"c": {**CHAIN, "x": x, "adjust_baseline": adjust, **chain}}
    return raw


def _settings(raw):
    return from_config(config_from_dict(raw, root=ROOT))


def _wide() -> pd.DataFrame:
    """The reference chain's wide frame plus the listing's derived counts at their waves:
    counts of 0..4 group types related to X, so a chain that read another column would
    differ."""
    wide = wide_from_chain()
    rng = np.random.default_rng(7)
    x = wide["group_memberships_T1"] - wide["group_memberships_T0"]
    wide["grp_count_T0"] = rng.integers(0, 5, len(wide)).astype(float)
    wide["grp_count_T1"] = np.clip(wide["grp_count_T0"] + np.round(x), 0, 4)
    wide["grp_gained_T1"] = np.clip(np.round(x + rng.normal(0, 0.5, len(wide))), 0, 4)
    wide.loc[::17, "grp_count_T1"] = np.nan  # missing listings are missing, never 0
    return wide


NUMBERS = ["est", "se", "ci_lower", "ci_upper", "pvalue"]


def _numbers(tables: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    return {m: t[NUMBERS].to_numpy(float) for m, t in tables.items()}


@pytest.mark.parametrize("x, scale_x, renamed, adjust", [
    ({"construct": "grp_count", "change": ["T0", "T1"]},
     {"construct": "group_memberships", "change": ["T0", "T1"]},
     {"grp_count_T0": "group_memberships_T0", "grp_count_T1": "group_memberships_T1"}, True),
    ({"construct": "grp_gained", "wave": "T1"}, {"construct": "group_memberships", "wave": "T1"},
     {"grp_gained_T1": "group_memberships_T1"}, False),
])
def test_a_listing_count_as_x_gives_the_estimates_of_the_same_column_as_a_scale(
        x, scale_x, renamed, adjust):
    wide = _wide()
    listing = _settings(_raw(x, adjust))
    scale = _settings(_raw(scale_x, adjust))
    as_scale = wide.drop(columns=list(renamed.values())).rename(columns=renamed)
    got, st = run_analyses(wide, listing, seed=5)
    want, _ = run_analyses(as_scale, scale, seed=5)
    assert all((s["status"] == "ok").all() for s in st.values())
    for method, numbers in _numbers(got).items():
        np.testing.assert_array_equal(numbers, _numbers(want)[method])
    # and the chain really read the listing's column: the scale's own values give other numbers
    other, _ = run_analyses(wide, scale, seed=5)
    assert not np.allclose(_numbers(other)["fiml"], _numbers(got)["fiml"], equal_nan=True)


def test_a_listing_count_reads_its_own_wide_columns_with_its_label_and_range():
    spec = _settings(_raw({"construct": "grp_count", "change": ["T0", "T1"]}, True)).analyses[0]
    assert model_columns(spec)[:2] == ["grp_count_T0", "grp_count_T1"]
    assert spec.construct_labels["grp_count"] == "Groups listed"
    assert spec.scale_ranges["grp_count"] == (0.0, 4.0, "count")
    assert spec.describe("x") == "change in groups listed (T0 to T1)"
    # a count at entry is its own baseline level (the change binding adds grp_count_T0)
    assert [b.column for b in spec.baseline_bindings] == [
        "grp_count_T0", "belonging_T0", "support_T0", "qol_T0"]
    units = unit_columns(spec)
    assert units["x_units"] == ("groups of change (T1 minus T0) on the 0\u20134 count of groups "
                                "listed")
    assert (units["x_scale_min"], units["x_scale_max"]) == (0.0, 4.0)


def test_gained_has_no_entry_level_so_adjust_baseline_adds_none_for_it():
    spec = _settings(_raw({"construct": "grp_gained", "wave": "T1"}, True)).analyses[0]
    assert spec.construct_waves == {"grp_gained": ("T1",)}
    assert "grp_gained_T0" not in model_columns(spec)
    assert [b.column for b in spec.baseline_bindings] == ["belonging_T0", "support_T0", "qol_T0"]
    table, status = run_analyses(_wide(), _settings(_raw({"construct": "grp_gained",
                                                          "wave": "T1"}, True)), seed=5)
    assert (status["fiml"]["status"] == "ok").all()


def test_a_listing_count_as_mediator_and_outcome():
    raw = _raw({"construct": "group_memberships", "change": ["T0", "T1"]},
               mediators=[{"construct": "grp_gained", "wave": "T1"}],
               y={"construct": "grp_count", "wave": "T1"})
    s = _settings(raw)
    spec = s.analyses[0]
    assert spec.mediators[0].column == "grp_gained_T1" and spec.y.column == "grp_count_T1"
    assert spec.describe("m1") == "groups gained (T1)"
    tables, status = run_analyses(_wide(), s, seed=5)
    assert (status["complete_case"]["status"] == "ok").all()
    text = describe_mediation(tables["fiml"], status["fiml"], spec, conf=0.95, warn_n=30)
    assert "groups gained" in text and "grp_gained" not in text
    # a count outcome is not the tipping-point analysis's primary (scale) outcome
    assert outcome_constructs(config_from_dict(raw, root=ROOT)) == ()


@pytest.mark.parametrize("where, value, fragment", [
    ("x", {"construct": "grp_gained", "wave": "T0"},
     r"mediation\.analyses\.c\.x\.wave: the derived count 'grp_gained' exists only at wave\(s\) "
     r"T1 \(group_listings\.grp\), not at T0.*'grp_count' with change: \[T0, T1\]"),
    ("x", {"construct": "grp_lost", "change": ["T0", "T1"]},
     r"mediation\.analyses\.c\.x\.change: the derived count 'grp_lost' exists only at wave"),
    ("y", {"construct": "grp_count", "wave": "T2"},
     r"mediation\.analyses\.c\.y\.wave: the derived count 'grp_count' exists only at wave\(s\) "
     r"T0, T1"),
    ("x", {"construct": "grp_gaind", "wave": "T1"},
     r"mediation\.analyses\.c\.x\.construct: 'grp_gaind' is not a configured scale or derived "
     r"group count \(did you mean 'grp_gained'\?\)"),
])
def test_a_listing_count_at_a_wave_it_lacks_or_misspelt_is_a_config_error(where, value,
                                                                          fragment):
    raw = _raw({"construct": "group_memberships", "change": ["T0", "T1"]})
    raw["mediation"]["analyses"]["c"][where] = value
    with pytest.raises(ConfigError, match=fragment):
        _settings(raw)


def test_without_listings_a_derived_name_is_not_a_construct():
    raw = _raw({"construct": "grp_gained", "wave": "T1"})
    del raw["group_listings"]
    with pytest.raises(ConfigError, match=r"'grp_gained' is not a configured scale\. Valid"):
        _settings(raw)


def test_demo_chains_are_unchanged_by_listing_support():
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    spec = _settings(raw).analyses[0]
    assert spec.construct_waves == {} and "grp_count" not in spec.scale_ranges
    assert replace(spec, construct_waves={}) == spec
