"""Table scores against the published tables and hand computation (pipeline.instruments.scoring)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.instruments import INSTRUMENTS
from pipeline.instruments.health import ENGLAND_5L
from pipeline.instruments.scoring import (
    _all_profiles,
    apply_lookup,
    band_of,
    table_score_range,
    value_set_index,
)

SW = INSTRUMENTS["swemwbs"].lookup


def test_swemwbs_rows_of_the_published_table():
    # first, middle and last rows of Warwick's conversion table
    assert apply_lookup(np.array([7.0, 21.0, 35.0]), SW).tolist() == [7.00, 19.25, 35.00]
    assert apply_lookup(np.array([8.0, 20.0, 34.0]), SW).tolist() == [9.51, 18.59, 32.55]


def test_lookup_rounds_a_prorated_sum_half_up_and_refuses_the_outside():
    out = apply_lookup(np.array([20.5, 20.49, np.nan, 6.0, 36.0, 6.5]), SW)
    assert out[0] == 19.25 and out[1] == 18.59  # 21 and 20
    assert np.isnan(out[2:5]).all() and out[5] == 7.00


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(6.5, 35.49, allow_nan=False), min_size=2, max_size=30))
def test_lookup_is_monotone_and_stays_in_the_metric_range(raw):
    raw = np.sort(np.array(raw))
    out = apply_lookup(raw, SW)
    assert np.isfinite(out).all()
    assert (np.diff(out) >= 0).all()
    assert out.min() >= 7.0 and out.max() <= 35.0
    assert set(out) <= {v for _, v in SW}


def test_lookup_covers_the_range():
    raws = np.arange(7, 36, dtype=float)
    out = apply_lookup(raws, SW)
    assert np.isfinite(out).all() and len(set(out)) == 29


def test_england_value_set_by_hand():
    rows = np.array([[1, 1, 1, 1, 1], [5, 5, 5, 5, 5], [2, 1, 3, 4, 1], [1, 2, 3, 4, 5],
                     [3, 3, 3, 3, 3]], dtype=float)
    expected = [1.0, -0.285,                                   # published: best and worst
                1 - (0.058 + 0.063 + 0.276),                   # 21341
                1 - (0.050 + 0.063 + 0.276 + 0.289),           # 12345
                1 - (0.076 + 0.080 + 0.063 + 0.084 + 0.104)]   # 33333
    assert value_set_index(rows, ENGLAND_5L) == pytest.approx(expected, abs=1e-12)


def test_an_incomplete_or_invalid_profile_has_no_index():
    rows = np.array([[1, np.nan, 1, 1, 1], [1, 2.5, 1, 1, 1], [0, 1, 1, 1, 1],
                     [6, 1, 1, 1, 1]], dtype=float)
    assert np.isnan(value_set_index(rows, ENGLAND_5L)).all()


def test_every_profile_is_in_range_and_worse_levels_never_score_higher():
    profiles = _all_profiles()
    idx = value_set_index(profiles, ENGLAND_5L)
    lo, hi = table_score_range(INSTRUMENTS["eq5d5l"], "index", "england_devlin2018")
    assert (lo, hi) == (-0.285, 1.0)
    assert idx.min() == pytest.approx(lo) and idx.max() == pytest.approx(hi)
    for d in range(5):
        worse = profiles.copy()
        ok = worse[:, d] < 5
        worse[ok, d] += 1
        assert (value_set_index(worse[ok], ENGLAND_5L) <= idx[ok] + 1e-12).all()


def test_bands():
    life = INSTRUMENTS["ons_life_satisfaction"].bands
    assert [band_of(v, life) for v in (0, 4, 5, 6, 7, 8, 9, 10)] == [
        "low", "low", "medium", "medium", "high", "high", "very high", "very high"]
    anx = INSTRUMENTS["ons_anxiety"].bands
    assert [band_of(v, anx) for v in (0, 1, 2, 3, 4, 5, 6, 10)] == [
        "very low", "very low", "low", "low", "medium", "medium", "high", "high"]
    ucla = INSTRUMENTS["ucla3"].bands
    assert [band_of(v, ucla) for v in (3, 5, 5.5, 6, 9)] == [
        "not lonely", "not lonely", "not lonely", "lonely", "lonely"]
    assert band_of(float("nan"), ucla) is None and band_of(2, ucla) is None
    assert band_of(10, ucla) is None


def test_table_range_is_none_for_item_scores():
    assert table_score_range(INSTRUMENTS["ucla3"], "sum", None) is None
    assert table_score_range(INSTRUMENTS["swemwbs"], "lookup", None) == (7.0, 35.0)
    assert table_score_range(INSTRUMENTS["eq5d5l"], "index", "nice_dsu_mapping") is None
