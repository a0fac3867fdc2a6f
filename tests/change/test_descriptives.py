"""Tests for pipeline.change.descriptives: hand-checked baseline table and pairwise correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.change.descriptives import baseline_table, correlation_tables, public_baseline
from pipeline.errors import DataError

WAVES = ["T0", "T1", "T2"]


@pytest.fixture
def wide():
    return pd.DataFrame({
        "pid": list("abcdef"),
        "age": [20.0, 30.0, 40.0, np.nan, 60.0, 70.0],
        "gender": pd.Categorical(["Woman", "Man", "Woman", "Woman", None, "Man"],
                                 ["Woman", "Man", "Non-binary / other"]),
        "qol_T0": [50.0, 60.0, 70.0, 80.0, np.nan, 40.0],
        "responded_T1": [True, True, True, False, False, True],
        "responded_T2": [True, False, True, False, False, False],
    })


def test_baseline_table_hand_values(wide):
    t = baseline_table(wide, {"age": "numeric", "gender": "categorical"}, ["qol"], WAVES)
    b = t[t["group"] == "baseline"].set_index(["variable", "level"])
    assert b.loc[("participants", ""), "n"] == 6
    assert b.loc[("age", ""), "n"] == 5 and b.loc[("age", ""), "n_missing"] == 1
    assert b.loc[("age", ""), "mean"] == pytest.approx(44.0)
    assert b.loc[("age", ""), "sd"] == pytest.approx(np.std([20, 30, 40, 60, 70], ddof=1))
    assert b.loc[("gender", "Woman"), "count"] == 3 and b.loc[("gender", "Woman"), "n"] == 5
    assert b.loc[("gender", "Woman"), "percent"] == pytest.approx(60.0)
    assert b.loc[("gender", "Non-binary / other"), "count"] == 0  # empty level still listed
    assert b.loc[("qol_T0", ""), "mean"] == pytest.approx(60.0)
    r1 = t[t["group"] == "retained_T1"].set_index(["variable", "level"])
    assert r1.loc[("participants", ""), "n"] == 4
    assert r1.loc[("age", ""), "mean"] == pytest.approx(40.0)
    assert r1.loc[("gender", "Man"), "percent"] == pytest.approx(50.0)
    r2 = t[t["group"] == "retained_T2"].set_index(["variable", "level"])
    assert r2.loc[("qol_T0", ""), "mean"] == pytest.approx(60.0)
    assert r2.loc[("qol_T0", ""), "n"] == 2
    assert list(t["group"].unique()) == ["baseline", "retained_T1", "retained_T2"]


def test_baseline_table_missing_columns(wide):
    with pytest.raises(DataError, match="responded_T2"):
        baseline_table(wide.drop(columns="responded_T2"), {"age": "numeric"}, ["qol"], WAVES)
    with pytest.raises(DataError, match="belonging_T0"):
        baseline_table(wide, {"age": "numeric"}, ["belonging"], WAVES)


def test_correlations_pairwise_deletion():
    rng = np.random.default_rng(0)
    n = 40
    long = pd.DataFrame({"pid": np.repeat(np.arange(n), 2), "wave": ["T0", "T1"] * n,
                         "a": rng.normal(size=2 * n), "b": rng.normal(size=2 * n),
                         "c": rng.normal(size=2 * n)})
    long.loc[long.index[:10], "a"] = np.nan
    long.loc[long.index[5:20], "b"] = np.nan
    t = correlation_tables(long, ["a", "b", "c"], ["T0", "T1"])
    assert list(t.columns) == ["wave", "var1", "var2", "r", "n"]
    assert len(t) == 6 and list(t.loc[t.wave == "T0", "var1"]) == ["a", "a", "b"]
    for _, row in t.iterrows():
        sub = long.loc[long["wave"] == row["wave"], [row["var1"], row["var2"]]].dropna()
        assert row["n"] == len(sub)
        r = stats.pearsonr(sub.iloc[:, 0], sub.iloc[:, 1])[0]
        assert row["r"] == pytest.approx(r, abs=1e-12)


def test_correlations_too_few_pairs_is_nan():
    long = pd.DataFrame({"pid": [1, 2, 3], "wave": "T0", "a": [1.0, 2.0, np.nan],
                         "b": [2.0, 1.0, 3.0]})
    t = correlation_tables(long, ["a", "b"], ["T0"])
    assert t.loc[0, "n"] == 2 and np.isnan(t.loc[0, "r"])
    with pytest.raises(DataError, match="zz"):
        correlation_tables(long, ["a", "zz"], ["T0"])


# ----------------------------------------------------------------------------- the public copy
def _base(n0, rows):
    """A baseline table: the participants row, then (variable, level, type, n, n_missing,
    mean, sd, count) rows."""
    out = [{"group": "baseline", "variable": "participants", "level": "", "type": "count",
            "n": n0, "n_missing": 0, "mean": np.nan, "sd": np.nan, "count": n0,
            "percent": np.nan}]
    for var, lev, typ, n, miss, mean, sd, count in rows:
        out.append({"group": "baseline", "variable": var, "level": lev, "type": typ, "n": n,
                    "n_missing": miss, "mean": mean, "sd": sd, "count": count,
                    "percent": np.nan if pd.isna(count) else 100 * count / n})
    return pd.DataFrame(out)


def test_public_baseline_one_respondent_shows_nothing_of_them():
    """One person entered and scored 2: "<10" people, no mean, no SD (issue h6: "People <10,
    Mean 2.00" gave their answer)."""
    pub = public_baseline(_base(1, [("q1_T0", "", "numeric", 1, 0, 2.0, np.nan, np.nan),
                                    ("sex", "F", "categorical", 1, 0, np.nan, np.nan, 1),
                                    ("sex", "M", "categorical", 1, 0, np.nan, np.nan, 0)]), 10)
    q = pub[pub["variable"] == "q1_T0"].iloc[0]
    assert q["n"] == "<10" and q["mean"] == "[c]" and "fewer than 10" in q["note"]
    assert q["sd"] == "[c]"  # a blank SD (undefined for one value) would say "exactly 1"
    assert pub.loc[0, "count"] == "<10" and pub.loc[0, "n"] == "<10"
    sex = pub[pub["variable"] == "sex"]
    assert (sex["count"] == "[c]").all() and (sex["percent"] == "[c]").all()  # not "0 men"


def test_public_baseline_small_missing_count_and_its_complement():
    """716 entrants, sex missing for 2: "<10" missing, n as a range on every level row (one
    cell), a level count hidden with it, shares hidden (a share of 384 would give n back)."""
    pub = public_baseline(_base(716, [
        ("sex", "Female", "categorical", 714, 2, np.nan, np.nan, 330),
        ("sex", "Male", "categorical", 714, 2, np.nan, np.nan, 384),
        ("age", "", "numeric", 716, 0, 36.68, 11.27, np.nan)]), 10)
    sex = pub[pub["variable"] == "sex"]
    assert (sex["n_missing"] == "<10").all() and (sex["n"] == "707-715").all()
    assert sorted(map(str, sex["count"])) == ["323-331", "384"]
    assert (sex["percent"] == "[c]").all()
    age = pub[pub["variable"] == "age"].iloc[0]
    assert age["n"] == 716 and age["mean"] == 36.68 and age["note"] == ""


def test_public_baseline_mean_beside_a_hidden_n_is_coarse():
    """629 of 630 with a score (SD 1.5 on 1-7): the n is a range, the SD hidden, the mean
    rounded so that it cannot pin n (a mean of 1/3-steps to 2 decimals could)."""
    pub = public_baseline(_base(630, [("b_T0", "", "numeric", 629, 1, 4.112877, 1.52,
                                       np.nan)]), 10)
    b = pub.iloc[1]
    assert b["n"] == "621-629" and b["n_missing"] == "<10" and b["sd"] == "[c]"
    assert b["mean"] == 4.1


def test_public_baseline_from_baseline_table(wide):
    """The baseline table of six people: everything below 10, so no statistic is shown."""
    t = baseline_table(wide, {"age": "numeric", "gender": "categorical"}, ["qol"], WAVES)
    pub = public_baseline(t, 10)
    assert set(pub["group"]) == {"baseline"}
    shown = pub[["n", "n_missing", "count"]].map(lambda v: isinstance(v, (int, float))
                                                 and not pd.isna(v) and 0 < v < 10)
    assert not shown.any().any()
    assert set(pub["mean"].dropna()) <= {"[c]"} and set(pub["sd"].dropna()) <= {"[c]"}
