"""Tests for pipeline.change.bands: shares per published band, Wilson CIs, the funder copy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.change.bands import BAND_COLUMNS, band_shares, public_band_shares
from pipeline.instruments.model import Band

UCLA = (Band("not lonely", 3, 5), Band("lonely", 6, 9))


def _long(t0, t1):
    return pd.DataFrame({"pid": [f"p{i}" for i in range(len(t0))] + [f"p{i}" for i in
                                                                       range(len(t1))],
                         "wave": ["T0"] * len(t0) + ["T1"] * len(t1),
                         "lon": np.r_[t0, t1].astype(float), "other": 1.0})


def test_counts_shares_and_wilson_by_hand():
    # T0: 12 not lonely (3-5, one prorated 5.5), 8 lonely; T1: 5 and 15; one missing at T1
    t0 = [3, 4, 5, 5.5] + [4] * 8 + [6, 7, 8, 9] * 2
    t1 = [3, 4, 5, 5] + [6, 7, 8, 9] * 3 + [7, 7, 8] + [np.nan]
    t = band_shares(_long(t0, t1), {"lon": UCLA, "other": ()}, ["T0", "T1"], min_cell=5)
    assert list(t.columns) == BAND_COLUMNS and set(t["construct"]) == {"lon"}
    by = t.set_index(["wave", "band"])
    assert by.loc[("T0", "not lonely"), "count"] == 12 and by.loc[("T0", "lonely"), "count"] == 8
    assert by.loc[("T1", "not lonely"), "count"] == 4 and by.loc[("T1", "lonely"), "n"] == 19
    # Wilson 95% for 8/20, as R prop.test(8, 20, correct = FALSE)$conf.int
    assert by.loc[("T0", "lonely"), "share"] == pytest.approx(0.4)
    assert by.loc[("T0", "lonely"), "ci_lower"] == pytest.approx(0.2188, abs=1e-4)
    assert by.loc[("T0", "lonely"), "ci_upper"] == pytest.approx(0.6134, abs=1e-4)
    assert (t["status"] == "ok").all()


def test_too_few_people_gives_no_shares():
    t = band_shares(_long([3, 7, 8], [4, 4]), {"lon": UCLA}, ["T0", "T1"], min_cell=10)
    assert (t["status"] == "not_estimable").all() and t["count"].isna().all()
    assert "too few people answered at T0 (fewer than 10)" in t["message"].iloc[0]
    assert "3" not in t["message"].iloc[0]  # the small n is not said


def test_no_bands_no_rows():
    t = band_shares(_long([3] * 12, [3] * 12), {"lon": ()}, ["T0", "T1"])
    assert t.empty and list(t.columns) == BAND_COLUMNS


def test_public_copy_hides_a_small_band_and_its_partner():
    t = band_shares(_long([3] * 40 + [7] * 4, [3] * 22 + [7] * 22), {"lon": UCLA},
                    ["T0", "T1"], min_cell=10)
    pub = public_band_shares(t, 10).set_index(["wave", "band"])
    assert pub.loc[("T0", "lonely"), "count"] == "<10"
    assert pub.loc[("T0", "not lonely"), "count"] == "35-43"
    assert pub.loc[("T0", "not lonely"), "share"] == "[c]"
    assert pub.loc[("T1", "lonely"), "count"] == 22
    assert pub.loc[("T1", "lonely"), "share"] == pytest.approx(0.5)


@settings(max_examples=30, deadline=None)
@given(k=st.integers(0, 60), m=st.integers(0, 60), min_cell=st.integers(3, 12))
def test_public_never_shows_a_small_band(k, m, min_cell):
    """Property: a band printed exactly is 0 or at least min_cell, and so is n minus it."""
    t = band_shares(_long([3] * k + [8] * m, []), {"lon": UCLA}, ["T0"], min_cell=min_cell)
    pub = public_band_shares(t, min_cell)
    n = k + m
    for c in pub["count"]:
        if isinstance(c, (int, float)) and not pd.isna(c):
            assert not (0 < c < min_cell) and not (0 < n - c < min_cell)


def test_public_n_a_few_short_of_those_who_answered_is_a_range():
    """The printed-counts rule: 50 with a score beside 52 who answered would give back the 2
    without one; n is printed as a range, the bands are protected against that range, and a
    share that would narrow it (22 / 0.44 = 50) is not given."""
    t = band_shares(_long([3] * 22 + [7] * 28, [3] * 15 + [7] * 15), {"lon": UCLA},
                    ["T0", "T1"], min_cell=10)
    pub = public_band_shares(t, 10, {"T0": 52, "T1": 30}).set_index(["wave", "band"])
    assert pub.loc[("T0", "lonely"), "n"] == "43-51"
    assert pub.loc[("T0", "lonely"), "count"] == 28
    assert pub.loc[("T0", "lonely"), "share"] == "[c]"
    assert pub.loc[("T1", "lonely"), "n"] == 30  # the same as those who answered: exact
    assert pub.loc[("T1", "lonely"), "share"] == pytest.approx(0.5)


def test_public_n_is_set_beside_other_printed_counts():
    """``shown``: the reliable-change n printed in the same report; 44 beside 40 is a range."""
    t = band_shares(_long([3] * 22 + [7] * 22, []), {"lon": UCLA}, ["T0"], min_cell=10)
    assert public_band_shares(t, 10)["n"].tolist() == [44, 44]
    ranged = public_band_shares(t, 10, shown=[40.0])["n"]
    assert all(isinstance(v, str) and "-" in v for v in ranged)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(10, 60), m=st.integers(10, 60), short=st.integers(1, 9))
def test_a_share_beside_a_range_n_does_not_narrow_it(k, m, short):
    """Property: beside a range n, every share or CI bound printed is what every n of the
    range gives (rounded to 2 decimals), so it tells nothing more than the range."""
    from pipeline.stats.rci import wilson_interval
    t = band_shares(_long([3] * k + [8] * m, []), {"lon": UCLA}, ["T0"], min_cell=10)
    pub = public_band_shares(t, 10, {"T0": k + m + short})
    for _, r in pub.iterrows():
        if not (isinstance(r["n"], str) and "-" in r["n"]) or not isinstance(r["count"], int):
            continue
        lo, hi = (int(x) for x in r["n"].split("-"))
        ns = np.arange(lo, hi + 1)
        wl, wh = wilson_interval(np.full(len(ns), r["count"]), ns)
        for col, vals in (("share", r["count"] / ns), ("ci_lower", wl), ("ci_upper", wh)):
            if r[col] != "[c]":
                assert set(np.round(vals, 2)) == {r[col]}


def test_shown_bands_never_add_up_to_a_range_n():
    """Found by an attack on a 100-person study: "not lonely 17, lonely 10" beside n "19-27"
    gave n = 27, and with the 28 who answered, the one person without a score. The bands are
    protected so that n stays unknown within its range."""
    t = band_shares(_long([3] * 30 + [7] * 30, [3] * 17 + [7] * 10), {"lon": UCLA},
                    ["T0", "T1"], min_cell=10)
    pub = public_band_shares(t, 10, {"T0": 60, "T1": 28}).set_index(["wave", "band"])
    assert pub.loc[("T1", "lonely"), "n"] == "19-27"
    counts = pub.loc["T1", "count"].tolist()
    assert not all(isinstance(c, (int, np.integer)) for c in counts), counts
