"""Tests for pipeline.change.effects: d and d_z tables per construct and follow-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.change.effects import EFFECT_COLUMNS, dz_rows, effect_sizes
from pipeline.change.trajectory import Trajectory


def test_standardised_change_hand_case():
    # contrast 6 (95% CI 2 to 10), baseline SD 12 -> d = 0.5 (0.1667 to 0.8333)
    means = pd.DataFrame({"construct": ["q"], "method": ["observed_all"], "wave": ["T0"],
                          "sd": [12.0]})
    con = pd.DataFrame({"construct": ["q"], "wave": ["T1"], "contrast": ["T1 - T0"],
                        "est": [6.0], "ci_lower": [2.0], "ci_upper": [10.0], "n": [50],
                        "status": ["ok"], "message": [""]})
    long = pd.DataFrame({"pid": list("abcde") * 2, "wave": ["T0"] * 5 + ["T1"] * 5,
                         "q": [1, 2, 3, 4, 5, 2, 4, 6, 8, 10.0]})
    es = effect_sizes(Trajectory(means, con, pd.DataFrame()), long, ["T0", "T1"], min_cell=5)
    d = es.set_index("measure").loc["d"]
    assert d["est"] == pytest.approx(0.5) and d["sd"] == 12.0
    assert d["ci_lower"] == pytest.approx(2 / 12) and d["ci_upper"] == pytest.approx(10 / 12)
    # d_z: differences 1..5 -> mean 3, SD sqrt(2.5)
    dz = es.set_index("measure").loc["d_z"]
    assert dz["est"] == pytest.approx(3 / np.sqrt(2.5)) and dz["n"] == 5
    assert dz["flag"] == "" and dz["ci_method"] == "noncentral_t" and dz["status"] == "ok"
    # with min_cell = 10 the 5 pairs are too few: d_z is not reported (d, on 50 people, is)
    es = effect_sizes(Trajectory(means, con, pd.DataFrame()), long, ["T0", "T1"], min_cell=10)
    dz = es.set_index("measure").loc["d_z"]
    assert dz["status"] == "not_estimable" and dz["flag"] == "small_n" and dz["n"] == 5
    assert dz[["est", "ci_lower", "ci_upper"]].isna().all()
    assert dz["message"] == ("too few people answered at both T0 and T1 (fewer than 10); change "
                             "is not estimated")
    assert es.set_index("measure").loc["d", "status"] == "ok"


def test_effect_size_d_not_reported_for_a_small_wave():
    # a contrast row with n < min_cell (e.g. from an older table still marked ok) is withheld
    means = pd.DataFrame({"construct": ["q"], "method": ["observed_all"], "wave": ["T0"],
                          "sd": [12.0]})
    con = pd.DataFrame({"construct": ["q"], "wave": ["T1"], "contrast": ["T1 - T0"],
                        "est": [6.0], "ci_lower": [2.0], "ci_upper": [10.0], "n": [1],
                        "status": ["ok"], "message": [""]})
    long = pd.DataFrame({"pid": ["a", "b", "a"], "wave": ["T0", "T0", "T1"], "q": [1.0, 2, 3]})
    es = effect_sizes(Trajectory(means, con, pd.DataFrame()), long, ["T0", "T1"]).set_index(
        "measure")
    for m in ("d", "d_z"):
        assert es.loc[m, "status"] == "not_estimable" and np.isnan(es.loc[m, "est"])
        assert np.isnan(es.loc[m, "ci_lower"]) and np.isnan(es.loc[m, "ci_upper"])
    assert es.loc["d", "message"] == ("too few people answered at T1 (fewer than 10); change is "
                                      "not estimated")


def test_dz_not_estimable_with_too_few_pairs():
    long = pd.DataFrame({"pid": ["a", "b", "a", "b"], "wave": ["T0", "T0", "T1", "T1"],
                         "q": [1.0, 2.0, 2.0, 4.0]})
    r = dz_rows(long, "q", ["T0", "T1"]).iloc[0]
    assert r["status"] == "not_estimable" and np.isnan(r["est"]) and "fewer than 3" in r["message"]


def test_d_not_estimable_without_baseline_spread():
    means = pd.DataFrame({"construct": ["q"], "method": ["observed_all"], "wave": ["T0"],
                          "sd": [0.0]})
    con = pd.DataFrame({"construct": ["q"], "wave": ["T1"], "contrast": ["T1 - T0"],
                        "est": [6.0], "ci_lower": [2.0], "ci_upper": [10.0], "n": [50],
                        "status": ["ok"], "message": [""]})
    long = pd.DataFrame({"pid": list("abc") * 2, "wave": ["T0"] * 3 + ["T1"] * 3,
                         "q": [1.0, 1, 1, 2, 3, 5]})
    es = effect_sizes(Trajectory(means, con, pd.DataFrame()), long, ["T0", "T1"], min_cell=3)
    assert list(es.columns) == EFFECT_COLUMNS
    d = es.set_index("measure").loc["d"]
    assert d["status"] == "not_estimable" and d["message"] == "baseline SD is zero or missing"
    assert np.isnan(d["est"])
