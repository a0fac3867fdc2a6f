"""Tests for pipeline/stats/mcar.py against tests/fixtures/mcar/mcar_reference.R.

Reference: an independent R implementation of Little's (1988) test (lavaan's EM moments +
the d2 formula written out in R), which also reproduces naniar's documented
mcar_test(airquality) = 35.1, df 14, p 0.00142, 4 patterns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.sem.fiml import split_patterns
from pipeline.stats.mcar import _em_moments, little_mcar, mcar_table

FIX = Path(__file__).resolve().parents[1] / "fixtures"
REF = pd.read_csv(FIX / "mcar" / "mcar_reference.csv").set_index("dataset")
DATA = {
    "airquality": lambda: pd.read_csv(FIX / "mcar" / "airquality.csv"),
    "mar": lambda: pd.read_csv(FIX / "mcar" / "mar.csv"),
    "wide_attrition": lambda: pd.read_csv(FIX / "attrition" / "wide_attrition.csv")[
        ["age", "belonging_T0", "qol_T0", "belonging_T1", "belonging_T2"]
    ],
}


@pytest.mark.parametrize("dataset", list(DATA))
def test_matches_r_reference(dataset):
    res = little_mcar(DATA[dataset]())
    ref = REF.loc[dataset]
    assert res["status"] == "ok"
    assert res["chi2"] == pytest.approx(ref["chi2"], abs=1e-6)
    assert res["df"] == ref["df"]
    assert res["pvalue"] == pytest.approx(ref["pvalue"], rel=1e-5)
    assert res["n_patterns"] == ref["n_patterns"] and res["n"] == ref["n"]
    assert "descriptive" in res["message"]


def test_airquality_matches_naniar_documentation():
    res = little_mcar(DATA["airquality"]())
    assert round(res["chi2"], 1) == 35.1 and res["df"] == 14 and round(res["pvalue"], 5) == 0.00142


def test_em_complete_data_gives_ml_moments():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3))
    mu, sigma, _, ok, _ = _em_moments(split_patterns(x))
    assert ok
    np.testing.assert_allclose(mu, x.mean(axis=0))
    np.testing.assert_allclose(sigma, np.cov(x.T, bias=True), atol=1e-12)


def test_mcar_data_not_rejected_mar_data_rejected():
    rng = np.random.default_rng(3)
    x = rng.multivariate_normal([0, 0, 0], [[1, .6, .3], [.6, 1, .3], [.3, .3, 1]], size=600)
    mcar = x.copy()
    mcar[rng.random(600) < 0.3, 1] = np.nan
    mar = x.copy()
    mar[x[:, 0] > 0.3, 1] = np.nan
    assert little_mcar(pd.DataFrame(mcar))["pvalue"] > 0.01
    assert little_mcar(pd.DataFrame(mar))["pvalue"] < 1e-6


def test_all_missing_and_constant_columns_excluded_with_note():
    df = DATA["mar"]().assign(empty=np.nan, const=1.0)
    res = little_mcar(df)
    assert res["status"] == "ok"
    assert res["chi2"] == pytest.approx(REF.loc["mar", "chi2"], abs=1e-6)
    assert set(res["excluded"]) == {"empty", "const"}
    assert "empty (missing for everyone)" in res["message"]


def test_single_pattern_not_estimable():
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3]})
    res = little_mcar(df)
    assert res["status"] == "not_estimable" and np.isnan(res["chi2"])
    assert "one missing-data pattern" in res["message"]


def test_rows_with_nothing_observed_are_dropped():
    df = DATA["airquality"]()
    df2 = pd.concat([df, pd.DataFrame([[np.nan] * df.shape[1]], columns=df.columns)])
    res = little_mcar(df2)
    assert res["n"] == 153 and "1 row(s) with no observed value" in res["message"]
    assert res["chi2"] == pytest.approx(REF.loc["airquality", "chi2"], abs=1e-6)


def test_non_numeric_column_raises_data_error():
    with pytest.raises(DataError, match="gender"):
        little_mcar(pd.DataFrame({"a": [1.0, np.nan], "gender": ["Woman", "Man"]}))


def test_mcar_table_row():
    t = mcar_table(little_mcar(DATA["airquality"]()))
    assert t.loc[0, "status"] == "ok" and t.loc[0, "method"] == "em" and t.loc[0, "df"] == 14
    assert list(t.columns) == ["analysis", "method", "chi2", "df", "pvalue", "n_patterns", "n",
                               "status", "message", "variables"]


def test_em_moments_maximise_the_sem_engine_fiml_likelihood():
    """One EM in the house: the moments behind the test come from pipeline.sem's EM step and
    are a stationary point of the engine's FIML log-likelihood (its gradient vanishes)."""
    from pipeline.sem.fiml import loglik_and_gradient

    data = split_patterns(DATA["mar"]().to_numpy(float))
    mu, sigma, _, ok, _ = _em_moments(data)
    _, grad = loglik_and_gradient(sigma, mu, data)
    assert ok and np.abs(grad).max() < 1e-7


def test_pair_never_observed_together_is_noted():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, 3))
    x[:100, 1] = np.nan
    x[100:, 2] = np.nan  # columns 1 and 2 never observed together
    res = little_mcar(pd.DataFrame(x, columns=["a", "b", "c"]))
    assert res["status"] == "ok" and "Never answered together" in res["message"]
    assert "b & c" in res["message"]
