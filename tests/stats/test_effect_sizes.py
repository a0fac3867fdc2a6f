"""Tests for pipeline.stats.effect_sizes: d_z and its noncentral-t CI against R (ref_dz.csv)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.stats.effect_sizes import dz_interval, paired_dz, standardised_change
from pipeline.status import Status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "change"
WAVES = ["T0", "T1", "T2"]


def test_dz_matches_r_noncentral_t():
    ref = pd.read_csv(FIX / "ref_dz.csv").set_index("wave")
    long = pd.read_csv(FIX / "sim_long.csv", dtype={"pid": str})
    x = long.pivot_table(index="pid", columns="wave", values="score", aggfunc="first")
    for w in ("T1", "T2"):
        got = paired_dz((x[w] - x["T0"]).dropna())
        assert got["n"] == ref.loc[w, "n"] and got["status"] == Status.OK
        assert got["sd"] == pytest.approx(ref.loc[w, "sd_diff"], rel=1e-10)
        assert got["est"] == pytest.approx(ref.loc[w, "dz"], rel=1e-10)
        assert got["ci_lower"] == pytest.approx(ref.loc[w, "ci_lower"], abs=1e-6)
        assert got["ci_upper"] == pytest.approx(ref.loc[w, "ci_upper"], abs=1e-6)


def test_dz_hand_case_and_not_estimable():
    r = paired_dz(pd.Series([1.0, 2, 3, 4, 5]))  # mean 3, SD sqrt(2.5)
    assert r["est"] == pytest.approx(3 / np.sqrt(2.5)) and r["n"] == 5
    for diff in ([1.0, 2.0], [2.0, 2.0, 2.0]):
        r = paired_dz(pd.Series(diff))
        assert r["status"] == Status.NOT_ESTIMABLE and np.isnan(r["est"])
        assert np.isnan(r["ci_lower"]) and np.isnan(r["ci_upper"])


def test_dz_interval_properties():
    lo, hi = dz_interval(0.5, 40)
    t = 0.5 * np.sqrt(40)
    assert stats.nct.cdf(t, 39, lo * np.sqrt(40)) == pytest.approx(0.975, abs=1e-9)
    assert stats.nct.cdf(t, 39, hi * np.sqrt(40)) == pytest.approx(0.025, abs=1e-9)
    assert np.isnan(dz_interval(0.5, 2)[0])
    # large samples approach the normal approximation d +- 1.96 sqrt(1/n + d^2/(2n))
    lo, hi = dz_interval(0.3, 5000)
    half = 1.959964 * np.sqrt(1 / 5000 + 0.09 / 10000)
    assert lo == pytest.approx(0.3 - half, abs=2e-4) and hi == pytest.approx(0.3 + half, abs=2e-4)


def test_dz_interval_negative_is_mirror_and_robust():
    # regression: scipy's nct.cdf returned NaN at a bracket end for t = -4.87, df = 171
    lo, hi = dz_interval(-0.37150375898079646, 172)
    plo, phi = dz_interval(0.37150375898079646, 172)
    assert np.isfinite(lo) and lo == pytest.approx(-phi, abs=1e-12)
    assert hi == pytest.approx(-plo, abs=1e-12)
    assert lo < -0.3715 < hi


def test_standardised_change_divides_by_baseline_sd():
    # contrast 6 (95% CI 2 to 10), baseline SD 12 -> d = 0.5 (0.1667 to 0.8333)
    est, lo, hi = standardised_change(pd.Series([6.0]), pd.Series([2.0]), pd.Series([10.0]),
                                      pd.Series([12.0]))
    assert est[0] == pytest.approx(0.5) and lo[0] == pytest.approx(2 / 12)
    assert hi[0] == pytest.approx(10 / 12)
