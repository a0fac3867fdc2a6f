"""Tests for pipeline.missing_data.primary: the change estimator and the primary-estimate table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import ConfigError, DataError
from pipeline.missing_data.primary import (
    PRIMARY_COLUMNS,
    Estimand,
    change_estimator,
    impute_columns,
    primary_table,
)
from pipeline.stats.mice import mice


def test_change_estimator_returns_mean_variance_df():
    df = pd.DataFrame({"y1": [2.0, 4.0, 7.0], "y0": [1.0, 1.0, 1.0]})
    est, var, dfc = change_estimator("y1", "y0")(df)
    d = np.array([1.0, 3.0, 6.0])
    assert est == d.mean() and np.isclose(var, d.var(ddof=1) / 3) and dfc == 2


def test_change_estimator_refuses_missing_values():
    """Under MI a completed data set must be complete: no silent listwise deletion."""
    df = pd.DataFrame({"y1": [2.0, 4.0, np.nan, 7.0], "y0": [1.0, 1.0, 1.0, 1.0]})
    with pytest.raises(DataError, match="1 of 4 rows have a missing y1 or y0"):
        change_estimator("y1", "y0")(df)


def test_estimand_names():
    e = Estimand("qol", "T0", "T2")
    assert (e.outcome, e.baseline, e.term) == ("qol_T2", "qol_T0", "mean change qol T0->T2")


def test_impute_columns_default_and_configured():
    wide = pd.DataFrame(columns=["pid", "age", "a_T0", "b_T0", "a_T1", "b_T1"])
    assert impute_columns(None, ["age"], ["a", "b"], ["T0", "T1"], wide) == [
        "age", "a_T0", "b_T0", "a_T1", "b_T1"]
    assert impute_columns(("a_T0", "a_T1"), ["age"], ["a"], ["T0"], wide) == ["a_T0", "a_T1"]
    with pytest.raises(ConfigError, match="missing_data.columns.*a_T9"):
        impute_columns(["a_T9"], [], [], [], wide)


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(3)
    n = 60
    y0 = rng.normal(50, 10, n)
    y1 = y0 + 5 + rng.normal(0, 5, n)
    y1[rng.random(n) < 0.3] = np.nan
    return pd.DataFrame({"pid": [f"p{i}" for i in range(n)], "y_T0": y0, "y_T1": y1})


def test_primary_table_methods_and_flag(wide):
    e = Estimand("y", "T0", "T1")
    res = mice(wide, ["y_T0", "y_T1"], m=3, iterations=2, seed=1)
    weights = pd.DataFrame({"ipw_T1": 1.0}, index=wide["pid"])
    table, dropped, reason = primary_table(wide, res, e, "fiml", weights, "w.parquet")
    assert list(table.columns) == PRIMARY_COLUMNS
    assert table["method"].tolist() == ["complete_case", "ipw", "mi"]
    assert table["primary"].tolist() == [False, False, True]  # fiml: MI stands in
    assert dropped == int(wide["y_T1"].isna().sum()) and reason is None
    cc, ipw = table.iloc[0], table.iloc[1]
    # equal weights: the IPW estimate is the complete-case mean change
    assert np.isclose(cc["estimate"], ipw["estimate"])
    table, _, _ = primary_table(wide, res, e, "ipw", weights, "w.parquet")
    assert table["primary"].tolist() == [False, True, False]


def test_missing_weight_column_is_a_status_row(wide):
    e = Estimand("y", "T0", "T1")
    res = mice(wide, ["y_T0", "y_T1"], m=3, iterations=2, seed=1)
    weights = pd.DataFrame({"ipw_T2": 1.0}, index=wide["pid"])
    table, _, _ = primary_table(wide, res, e, "mi", weights, "w.parquet")
    ipw = table.set_index("method").loc["ipw"]
    assert ipw["status"] == "not_estimable" and "ipw_T1 is not in w.parquet" in ipw["message"]
    assert np.isnan(ipw["estimate"])
