"""Tests for pipeline.change.descriptives: hand-checked baseline table and pairwise correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.change.descriptives import baseline_table, correlation_tables
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
