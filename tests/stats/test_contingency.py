"""Tests for pipeline/stats/contingency.py.

Reference: tests/fixtures/attrition/attrition_reference.R (R t.test, chisq.test(correct =
FALSE), fisher.test and the pooled-SD / proportion SMDs) on tests/fixtures/attrition data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.stats.contingency import (
    categorical_test,
    compare_groups,
    comparison_columns,
    fisher_exact_rx2,
    level_order,
    smd_means,
    smd_proportions,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
PRED = ["age", "belonging_T0", "qol_T0", "gender"]


def test_compare_groups_matches_r():
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    ref = pd.read_csv(FIX / "retained_vs_lost_ref.csv").fillna({"level": ""})
    for wave in ["T1", "T2"]:
        group = wide[f"responded_{wave}"].astype(bool)
        got = compare_groups(wide, group, PRED, ["gender"], names=("retained", "lost"))
        got = got.set_index(["variable", "level"])
        r = ref[ref["wave"] == wave].set_index(["variable", "level"])
        got = got.loc[r.index]
        np.testing.assert_allclose(got["smd"], r["smd"], rtol=1e-7)
        np.testing.assert_allclose(got["pvalue"], r["pvalue"], rtol=1e-6)
        assert got["test"].tolist() == r["test"].tolist()
    assert "fisher" in ref["test"].tolist()  # the T2 gender table exercises Fisher's test


def test_compare_groups_columns_and_hand_values():
    d = pd.DataFrame({"age": [20, 30, 40, 50, 60, 70], "sex": list("ffmmfm")})
    g = pd.Series([True, True, False, True, False, False])
    t = compare_groups(d, g, ["age", "sex"], ["sex"], names=("in", "out"))
    assert list(t.columns) == comparison_columns("in", "out")
    age = t.iloc[0]
    assert age["n_in"] == 3 and age["mean_in"] == pytest.approx(100 / 3)
    assert age["mean_out"] == pytest.approx(170 / 3) and age["test"] == "welch_t"
    f = t[t["level"] == "f"].iloc[0]
    assert f["n_in"] == 2 and f["pct_in"] == pytest.approx(200 / 3)
    assert f["smd"] == pytest.approx(smd_proportions(2 / 3, 1 / 3))


def test_smd_means_by_hand():
    x1, x0 = np.array([20.0, 30, 50]), np.array([40.0, 60, 70])
    sp = np.sqrt((np.var(x1, ddof=1) + np.var(x0, ddof=1)) / 2)
    assert smd_means(x1, x0) == pytest.approx((x1.mean() - x0.mean()) / sp)
    assert np.isnan(smd_means(x1[:1], x0)) and np.isnan(smd_means(np.ones(3), np.ones(3)))


def test_smd_proportions_austin():
    assert smd_proportions(0.5, 0.3) == pytest.approx(0.2 / np.sqrt((0.25 + 0.21) / 2))
    assert np.isnan(smd_proportions(0.0, 0.0))


def test_fisher_rx2_matches_scipy_2x2():
    for tab in ([[3, 9], [7, 2]], [[0, 5], [6, 1]], [[10, 12], [11, 13]]):
        assert fisher_exact_rx2(np.array(tab)) == pytest.approx(stats.fisher_exact(tab).pvalue,
                                                                rel=1e-9)


def test_fisher_rx2_too_many_tables_is_nan():
    assert np.isnan(fisher_exact_rx2(np.array([[50, 50], [50, 50], [50, 50]]), max_tables=10))


def test_categorical_test_choice():
    assert categorical_test(np.array([[30, 20], [25, 25]]))[0] == "chi2"
    assert categorical_test(np.array([[3, 9], [7, 2]]))[0] == "fisher"  # expected < 5
    test, p = categorical_test(np.array([[3, 0], [7, 0]]))  # an empty column: nothing to test
    assert test == "" and np.isnan(p)


def test_level_order_categorical_and_text():
    assert level_order(pd.Series(["b", "a", None, "b"])) == ["a", "b"]
    cat = pd.Series(pd.Categorical(["x", "y"], categories=["y", "x"]))
    assert level_order(cat) == ["y", "x"]
