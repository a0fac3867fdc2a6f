"""Tests for pipeline.missing_data.imputation: the imputation model's tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.missing_data.imputation import (
    all_missing_rule,
    chain_traces,
    excluded_variables,
    observed_and_imputed,
    settings_table,
    stacked_imputations,
)
from pipeline.stats.mice import mice


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"pid": [f"p{i}" for i in range(40)], "x": rng.normal(size=40),
                       "y": rng.normal(size=40), "c": 1.0,
                       "g": pd.Categorical(rng.choice(["a", "b"], 40))})
    df.loc[:7, "y"] = np.nan
    df.loc[8:10, "g"] = np.nan
    df.loc[0, "c"] = np.nan
    return df, mice(df, ["x", "y", "c", "g"], m=3, iterations=2, seed=1)


def test_chain_traces_match_the_arrays(result):
    _, res = result
    t = chain_traces(res)
    assert list(pd.unique(t["variable"])) == res.variables == ["y", "g"]
    y = t[t["variable"] == "y"].pivot(index="chain", columns="iteration", values="mean")
    np.testing.assert_array_equal(y.to_numpy(), res.chain_means[:, :, 0])
    assert set(t.loc[t["variable"] == "y", "n_missing"]) == {8}


def test_observed_and_imputed_keeps_order_and_dtype(result):
    df, res = result
    v = observed_and_imputed(res, max_imputations=2)
    y = v["y"]
    np.testing.assert_array_equal(y.loc[~y["imputed"], "value"], df["y"].dropna())
    assert (y["imputation"] >= 0).sum() == 2 * 8
    assert isinstance(v["g"]["value"].dtype, pd.CategoricalDtype)


def test_settings_stacked_and_excluded(result):
    df, res = result
    s = settings_table(res, ["x", "y", "c", "g"]).set_index("variable")
    assert s.loc["c", "method"] == "excluded" and s.loc["y", "n_missing"] == 8
    assert (s["m"] == 3).all() and (s["iterations"] == 2).all()
    st = stacked_imputations(res, ["x", "y"])
    assert len(st) == 3 * 40 and sorted(st["_imp"].unique()) == [0, 1, 2]
    assert st["y"].notna().all()
    assert "c" in excluded_variables(res)
    assert all_missing_rule(True) == "raise" and all_missing_rule(False) == "exclude"
