"""Tests for pipeline.change.analysis: settings, effect sizes (hand case + R reference), stage tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.change.analysis import (
    ChangeSettings,
    change_settings,
    change_tables,
    dz_interval,
    effect_sizes,
    paired_dz,
    write_change_tables,
)
from pipeline.stats.mixed import Trajectory
from pipeline.errors import ConfigError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "change"
WAVES = ["T0", "T1", "T2"]


def test_settings_defaults_and_values():
    s = change_settings(None, ["qol"])
    assert s == ChangeSettings()
    assert s.time == "wave" and s.p_adjust == "holm" and s.reml is True
    s = change_settings({"time": "months", "reliability": {"qol": 0.7},
                         "higher_is_better": {"qol": False}}, ["qol"])
    assert s.time == "months" and s.reliability == {"qol": 0.7}
    assert s.higher_is_better == {"qol": False}
    assert s.covariate_weights == "proportional"
    assert change_settings({"covariate_weights": "equal"}, ["qol"]).covariate_weights == "equal"


@pytest.mark.parametrize("section, match", [
    ({"p_adjus": "holm"}, "did you mean 'p_adjust'"),
    ({"p_adjust": "tukey"}, "change.p_adjust"),
    ({"time": "days"}, "change.time"),
    ({"reliability": {"qoll": 0.7}}, "did you mean 'qol'"),
    ({"reliability": {"qol": 1.2}}, "between 0 and 1"),
    ({"higher_is_better": {"qol": "no"}}, "true or false"),
    ({"conf_level": 95}, "conf_level"),
    ({"covariate_weights": "cells"}, "change.covariate_weights"),
])
def test_settings_errors_name_the_key(section, match):
    with pytest.raises(ConfigError, match=match):
        change_settings(section, ["qol"])


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
    assert dz["message"] == ("only 5 people answered at both T0 and T1 (fewer than 10); change "
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
    assert es.loc["d", "message"] == ("only 1 person answered at T1 (fewer than 10); change is "
                                      "not estimated")


def test_dz_interval_properties():
    from scipy import stats

    lo, hi = dz_interval(0.5, 40)
    t = 0.5 * np.sqrt(40)
    assert stats.nct.cdf(t, 39, lo * np.sqrt(40)) == pytest.approx(0.975, abs=1e-9)
    assert stats.nct.cdf(t, 39, hi * np.sqrt(40)) == pytest.approx(0.025, abs=1e-9)
    assert np.isnan(dz_interval(0.5, 2)[0])
    # large samples approach the normal approximation d +- 1.96 sqrt(1/n + d^2/(2n))
    lo, hi = dz_interval(0.3, 5000)
    half = 1.959964 * np.sqrt(1 / 5000 + 0.09 / 10000)
    assert lo == pytest.approx(0.3 - half, abs=2e-4) and hi == pytest.approx(0.3 + half, abs=2e-4)


def test_dz_matches_r_noncentral_t():
    ref = pd.read_csv(FIX / "ref_dz.csv").set_index("wave")
    long = pd.read_csv(FIX / "sim_long.csv", dtype={"pid": str})
    got = paired_dz(long, "score", WAVES).set_index("wave")
    assert list(got.loc[["T1", "T2"], "n"]) == list(ref["n"])
    np.testing.assert_allclose(got.loc[["T1", "T2"], "est"], ref["dz"], rtol=1e-10)
    np.testing.assert_allclose(got.loc[["T1", "T2"], "ci_lower"], ref["ci_lower"], atol=1e-6)
    np.testing.assert_allclose(got.loc[["T1", "T2"], "ci_upper"], ref["ci_upper"], atol=1e-6)


def test_dz_not_estimable_with_too_few_pairs():
    long = pd.DataFrame({"pid": ["a", "b", "a", "b"], "wave": ["T0", "T0", "T1", "T1"],
                         "q": [1.0, 2.0, 2.0, 4.0]})
    r = paired_dz(long, "q", ["T0", "T1"]).iloc[0]
    assert r["status"] == "not_estimable" and np.isnan(r["est"]) and "fewer than 3" in r["message"]


def _panel(seed=3, n=60):
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 1, n)
    rows = []
    for w, k, mo, shift in (("T0", n, 0, 0), ("T1", 30, 4, 0.6), ("T2", 20, 7, 0.9)):
        rows.append(pd.DataFrame({
            "pid": [f"p{i}" for i in range(k)], "wave": w, "months": mo,
            "age": 30 + np.arange(k) % 40, "gender": np.where(np.arange(k) % 3, "Woman", "Man"),
            "qol": 60 + 10 * (shift + u[:k]) + rng.normal(0, 6, k),
            "loneliness": 6 - shift - u[:k] + rng.normal(0, 0.8, k),
        }))
    return pd.concat(rows, ignore_index=True)


def test_change_tables_end_to_end(tmp_path):
    long = _panel()
    s = change_settings({"reliability": {"qol": 0.7}, "higher_is_better": {"loneliness": False}},
                        ["qol", "loneliness"])
    tabs = change_tables(long, {"qol": 8.0, "loneliness": None}, WAVES,
                         {"age": "numeric", "gender": "categorical"}, s,
                         reliability={"loneliness": 0.8}, min_cell=10)
    assert set(tabs) == {"means", "contrasts", "effect_sizes", "rci_shares", "rci_individual",
                         "status"}
    assert (tabs["status"]["status"] == "ok").all()
    sh = tabs["rci_shares"]
    assert set(sh.query("construct == 'qol'")["category"]) >= {"mid_improved"}
    assert (sh.query("construct == 'qol'")["reliability_source"] == "configured").all()
    assert (sh.query("construct == 'loneliness'")["reliability_source"] == "alpha").all()
    # loneliness fell: reliable changes in the good direction count as improvements
    lon = sh.query("construct == 'loneliness' and wave == 'T2'").set_index("category")
    assert lon.loc["reliably_improved", "count"] > lon.loc["reliably_deteriorated", "count"]
    paths = write_change_tables(tabs, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"change_{k}.csv" for k in tabs)
    back = pd.read_csv(tmp_path / "change_contrasts.csv")
    assert {"status", "message", "pvalue_adj", "ci_lower_adj"} <= set(back.columns)


def test_change_tables_with_one_person_at_follow_up():
    """Audit case c04a: one participant at T2 -> nothing about T2 is reported as a number."""
    long = _panel()
    long = long[(long["wave"] != "T2") | (long["pid"] == "p0")]
    s = change_settings({"reliability": {"qol": 0.7}}, ["qol", "loneliness"])
    tabs = change_tables(long, {"qol": 8.0, "loneliness": None}, WAVES,
                         {"age": "numeric", "gender": "categorical"}, s,
                         reliability={"loneliness": 0.8}, min_cell=10)
    assert (tabs["status"]["status"] == "ok").all()  # the model is fitted (T2 kept in the fit)
    assert tabs["status"]["message"].str.contains("only 1 person answered at T2").all()
    msg = "only 1 person answered at T2 (fewer than 10); change is not estimated"
    c = tabs["contrasts"].set_index(["construct", "wave"])
    for k in ("qol", "loneliness"):
        t2 = c.loc[(k, "T2")]
        assert t2["status"] == "not_estimable" and t2["message"] == msg and t2["n"] == 1
        assert t2[["est", "se", "z", "pvalue", "pvalue_adj", "ci_lower", "ci_upper",
                   "ci_lower_adj", "ci_upper_adj", "observed_completer_diff"]].isna().all()
        assert c.loc[(k, "T1"), "status"] == "ok" and np.isfinite(c.loc[(k, "T1"), "est"])
        # the one reported contrast is the whole multiplicity family
        assert c.loc[(k, "T1"), "pvalue_adj"] == pytest.approx(c.loc[(k, "T1"), "pvalue"])
    m = tabs["means"].query("wave == 'T2'")
    assert (m["status"] == "not_estimable").all() and m[["est", "se", "ci_lower", "ci_upper",
                                                         "sd"]].isna().all().all()
    e = tabs["effect_sizes"].query("wave == 'T2'")
    assert (e["status"] == "not_estimable").all() and e[["est", "ci_lower",
                                                         "ci_upper"]].isna().all().all()
    assert (e.query("measure == 'd'")["message"] == msg).all()
    r = tabs["rci_shares"].query("wave == 'T2'")
    assert (r["status"] == "not_estimable").all()
    assert r[["count", "share", "ci_lower", "ci_upper"]].isna().all().all()


def test_dz_interval_negative_is_mirror_and_robust():
    # regression: scipy's nct.cdf returned NaN at a bracket end for t = -4.87, df = 171
    lo, hi = dz_interval(-0.37150375898079646, 172)
    plo, phi = dz_interval(0.37150375898079646, 172)
    assert np.isfinite(lo) and lo == pytest.approx(-phi, abs=1e-12) and hi == pytest.approx(-plo, abs=1e-12)
    assert lo < -0.3715 < hi
