"""Tests for pipeline.missing_data.primary: the change estimator and the primary-estimate table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import ConfigError, DataError
from pipeline.missing_data.fiml import auxiliary_frame, fiml_row
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
    fiml = fiml_row(wide, "y_T0", "y_T1", ["y_T0", "y_T1"], e.term, se="standard")
    table, dropped, reason = primary_table(wide, res, e, "fiml", weights, "w.parquet", fiml)
    assert list(table.columns) == PRIMARY_COLUMNS
    assert table["method"].tolist() == ["fiml", "mi", "ipw", "complete_case"]
    assert table["primary"].tolist() == [True, False, False, False]  # FIML gives its own row
    assert table["role"].tolist() == ["primary"] + ["sensitivity"] * 3
    assert (table["stands_in_for"].fillna("") == "").all()
    assert dropped == int(wide["y_T1"].isna().sum()) and reason is None
    cc, ipw = table.set_index("method").loc["complete_case"], table.set_index("method").loc["ipw"]
    # equal weights: the IPW estimate is the complete-case mean change
    assert np.isclose(cc["estimate"], ipw["estimate"])
    assert (table["n_observed"] == int(wide["y_T1"].notna().sum())).all()
    table, _, _ = primary_table(wide, res, e, "ipw", weights, "w.parquet", fiml)
    assert table["primary"].tolist() == [False, False, True, False]


def test_fiml_primary_without_fiml_estimate_names_its_stand_in(wide):
    """No silent substitution: the FIML row stays, says why and which method stands in."""
    e = Estimand("y", "T0", "T1")
    res = mice(wide, ["y_T0", "y_T1"], m=3, iterations=2, seed=1)
    table, _, _ = primary_table(wide, res, e, "fiml")
    t = table.set_index("method")
    assert t.loc["fiml", "primary"] and t.loc["fiml", "status"] == "not_estimable"
    assert np.isnan(t.loc["fiml", "estimate"])
    assert "mi stands in for fiml" in t.loc["fiml", "message"]
    assert t.loc["mi", "stands_in_for"] == "fiml" and not t.loc["mi", "primary"]
    assert t.loc["complete_case", "stands_in_for"] in ("", None) or pd.isna(
        t.loc["complete_case", "stands_in_for"])
    # a failed FIML fit (constant outcome) is a status row too
    flat = wide.assign(y_T1=np.where(wide["y_T1"].notna(), 1.0, np.nan))
    row = fiml_row(flat, "y_T0", "y_T1", ["y_T0", "y_T1"], e.term)
    assert row["status"] == "not_estimable" and "constant" in row["message"]


def test_fiml_row_without_auxiliaries_is_the_ml_mean_change(wide):
    """Bivariate normal ML with y_T0 complete: the FIML mean change is the regression estimate
    mean(y0) + b (mean(y1 | obs) - ...) - known closed form (Anderson 1957):
    mu1 = ybar1_obs + b (ybar0_all - ybar0_obs), b = OLS slope of y1 on y0 among observed."""
    e = Estimand("y", "T0", "T1")
    row = fiml_row(wide, "y_T0", "y_T1", ["y_T0", "y_T1"], e.term, se="standard")
    obs = wide.dropna()
    b = np.polyfit(obs["y_T0"], obs["y_T1"], 1)[0]
    mu1 = obs["y_T1"].mean() + b * (wide["y_T0"].mean() - obs["y_T0"].mean())
    assert row["status"] == "ok" and row["method"] == "fiml"
    assert row["estimate"] == pytest.approx(mu1 - wide["y_T0"].mean(), abs=1e-5)
    assert row["n"] == len(wide) and row["n_observed"] == len(obs) and row["n_auxiliaries"] == 0


def test_missing_weight_column_is_a_status_row(wide):
    e = Estimand("y", "T0", "T1")
    res = mice(wide, ["y_T0", "y_T1"], m=3, iterations=2, seed=1)
    weights = pd.DataFrame({"ipw_T2": 1.0}, index=wide["pid"])
    table, _, _ = primary_table(wide, res, e, "mi", weights, "w.parquet")
    ipw = table.set_index("method").loc["ipw"]
    assert ipw["status"] == "not_estimable" and "ipw_T1 is not in w.parquet" in ipw["message"]
    assert np.isnan(ipw["estimate"])


def test_auxiliary_frame_codes_categories_as_indicators():
    d = pd.DataFrame({"age": [30.0, np.nan, 50.0, 41.0],
                      "gender": pd.array(["Woman", "Man", None, "Non-binary / other"],
                                         dtype="string")})
    frame, names = auxiliary_frame(d, ["age", "gender"])
    # levels sorted: Man (reference), Non-binary / other, Woman; lavaan-safe names
    assert names == ["age", "gender_Non_binary_other", "gender_Woman"]
    assert frame["gender_Woman"].tolist()[:2] == [1.0, 0.0] and np.isnan(frame.iloc[2, 2])
    assert frame["gender_Non_binary_other"].tolist()[3] == 1.0


@pytest.mark.parametrize("se", ["standard", "robust"])
def test_fiml_row_matches_lavaan_with_auxiliaries(se):
    """lavaan 0.6 (tests/fixtures/missing_data/fiml_primary_reference.R): saturated model of
    qol_T0, qol_T1 and the auxiliaries age, gender (0/1 indicators), belonging_T0-T2, qol_T2 by
    FIML (missing = "ml"; ML or MLR), d := m1 - m0."""
    from pathlib import Path
    fix = Path(__file__).resolve().parents[1] / "fixtures"
    wide = pd.read_csv(fix / "attrition" / "wide_attrition.csv")
    ref = pd.read_csv(fix / "missing_data" / "fiml_primary_ref.csv").set_index("se_type").loc[se]
    cols = ["age", "gender", "belonging_T0", "qol_T0", "belonging_T1", "qol_T1",
            "belonging_T2", "qol_T2"]
    row = fiml_row(wide, "qol_T0", "qol_T1", cols, "mean change qol T0->T1", se=se)
    assert row["status"] == "ok" and row["n_auxiliaries"] == ref["n_auxiliaries"] == 7
    for ours, theirs in (("estimate", "est"), ("se", "se"), ("statistic", "z"),
                         ("pvalue", "pvalue"), ("ci_lower", "ci_lower"),
                         ("ci_upper", "ci_upper")):
        assert row[ours] == pytest.approx(ref[theirs], rel=1e-4, abs=1e-6), ours
    assert row["n"] == ref["ntotal"] == 630


def test_primary_method_not_run_is_said_and_stood_in_for(wide):
    """ipw primary without weights: the IPW row says it was not run and MI stands in."""
    e = Estimand("y", "T0", "T1")
    res = mice(wide, ["y_T0", "y_T1"], m=3, iterations=2, seed=1)
    table, _, _ = primary_table(wide, res, e, "ipw")
    t = table.set_index("method")
    assert table["method"].tolist() == ["mi", "ipw", "complete_case"]
    assert t.loc["ipw", "primary"] and t.loc["ipw", "status"] == "not_estimable"
    assert "no inverse-probability weights were given" in t.loc["ipw", "message"]
    assert "mi stands in for ipw" in t.loc["ipw", "message"]
    assert t.loc["mi", "stands_in_for"] == "ipw"
