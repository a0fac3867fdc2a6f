"""The controlled demo's group listing (T0, T1): its own random stream (every other column is
the same whatever it draws), coherent with the EXITS items, and read by the clean stage's
listing reader as the config declares it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pipeline.demo.controlled_simulate as sim
from pipeline.demo.controlled_listings import (
    GROUP_TYPES,
    LISTING_COLUMNS,
    NONE_COLUMN,
    draw_listings,
)
from pipeline.demo.controlled_simulate import simulate_controlled

N = 300


@pytest.fixture(scope="module")
def study():
    return simulate_controlled(n=N)


def test_other_columns_do_not_depend_on_the_listing(study, monkeypatch):
    def blank(seed, n, extra):
        nan = np.full(extra.shape[0], np.nan)
        return {w: {c: nan for c in LISTING_COLUMNS} for w in ("T0", "T1")}

    monkeypatch.setattr(sim, "draw_listings", blank)
    other = simulate_controlled(n=N)
    for w, frame in study.frames.items():
        keep = [c for c in frame.columns if c not in LISTING_COLUMNS]
        pd.testing.assert_frame_equal(frame[keep], other.frames[w][keep])
    pd.testing.assert_frame_equal(study.defects, other.defects)


def test_listing_only_at_t0_and_t1_and_coded_as_the_files_hold_it(study):
    t0, t1, t2 = (study.frames[w] for w in ("T0", "T1", "T2"))
    assert list(t0.columns[-len(LISTING_COLUMNS):]) == list(LISTING_COLUMNS)
    assert not set(LISTING_COLUMNS) & set(t2.columns)
    assert set(t0["grp_sports"].dropna().unique()) == {1}  # checkbox export: 1 / blank
    assert set(t1["grp_sports"].dropna().unique()) <= {0, 1}
    ticked = t1[[f"grp_{g}" for g in GROUP_TYPES]].sum(axis=1, min_count=1)
    answered = t1[NONE_COLUMN].notna()
    assert ((ticked == 0) == (t1[NONE_COLUMN] == 1))[answered].all()


def test_gains_follow_the_new_groups_latent():
    rng = np.random.default_rng(1)
    n = 4000
    extra = rng.standard_normal((n, 3, 4))
    lst = draw_listings(7, n, extra)
    a = np.column_stack([lst["T0"][f"grp_{g}"] for g in GROUP_TYPES])
    b = np.column_stack([lst["T1"][f"grp_{g}"] for g in GROUP_TYPES])
    ok = ~(np.isnan(a).any(axis=1) | np.isnan(b).any(axis=1))
    gained = ((1 - a) * b).sum(axis=1)[ok]
    kept = (a * b).sum(axis=1)[ok] / np.maximum(a.sum(axis=1)[ok], 1)
    assert np.corrcoef(gained, extra[ok, 1, 3])[0, 1] > 0.2
    assert np.corrcoef(kept, extra[ok, 1, 2])[0, 1] > 0.1
    assert 0.01 < np.isnan(a[:, 0]).mean() < 0.06  # about 3% leave the list blank
    # same seed, same listing
    again = draw_listings(7, n, extra)
    np.testing.assert_array_equal(again["T1"]["grp_arts"], lst["T1"]["grp_arts"])
