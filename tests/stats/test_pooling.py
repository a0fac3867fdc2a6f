"""Tests for pipeline.stats.pooling: hand arithmetic and mice::pool / pool.scalar reference
values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.errors import DataError
from pipeline.stats.pooling import barnard_rubin_df, rubin_pool

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "mice"


def test_hand_computed_three_imputations():
    # m = 3, Q = (1, 2, 3), U = (1, 1, 1), dfcom = 10.
    res = rubin_pool([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], df_complete=10).iloc[0]
    qbar, ubar = 2.0, 1.0
    b = ((1 - 2) ** 2 + 0 + (3 - 2) ** 2) / (3 - 1)  # = 1
    t = ubar + (1 + 1 / 3) * b  # = 7/3
    riv = (4 / 3) * b / ubar  # = 4/3
    lam = (4 / 3) * b / t  # = 4/7
    dfold = (3 - 1) / lam**2  # = 6.125
    dfobs = (10 + 1) / (10 + 3) * 10 * (1 - lam)  # = 330/91
    df = dfold * dfobs / (dfold + dfobs)
    fmi = (riv + 2 / (df + 3)) / (1 + riv)
    assert res["estimate"] == pytest.approx(qbar, abs=1e-15)
    assert res["ubar"] == pytest.approx(ubar, abs=1e-15)
    assert res["b"] == pytest.approx(1.0, abs=1e-15)
    assert res["t"] == pytest.approx(7 / 3, rel=1e-14)
    assert res["se"] == pytest.approx(np.sqrt(7 / 3), rel=1e-14)
    assert res["riv"] == pytest.approx(4 / 3, rel=1e-14)
    assert res["lambda"] == pytest.approx(4 / 7, rel=1e-14)
    assert dfold == pytest.approx(6.125) and dfobs == pytest.approx(330 / 91)
    assert res["df"] == pytest.approx(df, rel=1e-14)
    assert res["fmi"] == pytest.approx(fmi, rel=1e-14)
    stat = 2.0 / np.sqrt(7 / 3)
    assert res["statistic"] == pytest.approx(stat, rel=1e-14)
    assert res["pvalue"] == pytest.approx(2 * stats.t.sf(stat, df), rel=1e-12)
    half = stats.t.ppf(0.975, df) * np.sqrt(7 / 3)
    assert res["ci_lower"] == pytest.approx(2 - half, rel=1e-12)
    assert res["ci_upper"] == pytest.approx(2 + half, rel=1e-12)


def test_infinite_dfcom_is_rubin_df():
    res = rubin_pool([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]).iloc[0]
    assert res["df"] == pytest.approx(2 / (4 / 7) ** 2, rel=1e-14)  # (m-1)/lambda^2 = 6.125


def test_mice_pool_regression():
    inp = pd.read_csv(FIX / "pool_input.csv")
    ref = pd.read_csv(FIX / "pool_mice.csv")
    terms = list(ref["term"])
    q = inp.pivot(index="imputation", columns="term", values="estimate")[terms].to_numpy()
    u = inp.pivot(index="imputation", columns="term", values="variance")[terms].to_numpy()
    ours = rubin_pool(q, u, df_complete=ref["dfcom"].iloc[0], terms=terms)
    for col in ["estimate", "ubar", "b", "t", "se", "df", "riv", "lambda", "fmi", "statistic",
                "pvalue", "ci_lower", "ci_upper"]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-10, err_msg=col)
    ref_inf = pd.read_csv(FIX / "pool_mice_dfinf.csv")
    ours_inf = rubin_pool(q, u, terms=terms)
    for col in ["estimate", "t", "df", "riv", "lambda", "fmi", "pvalue", "ci_lower", "ci_upper"]:
        np.testing.assert_allclose(ours_inf[col], ref_inf[col], rtol=1e-10, err_msg=col)


@pytest.mark.parametrize("case,dfcom", [("finite", 24), ("infinite", np.inf), ("b_zero", 24)])
def test_mice_pool_scalar(case, dfcom):
    ref = json.loads((FIX / "pool_scalar.json").read_text())
    q = np.array([3.5] * 5) if case == "b_zero" else np.array(ref["Q"])
    res = rubin_pool(q, ref["U"], df_complete=dfcom).iloc[0]
    r = ref[case]
    for ours, theirs in [("estimate", "qbar"), ("ubar", "ubar"), ("b", "b"), ("t", "t"),
                         ("df", "df"), ("riv", "r"), ("fmi", "fmi")]:
        assert res[ours] == pytest.approx(r[theirs], rel=1e-10, abs=1e-12), ours


def test_b_zero_no_division_warning():
    with np.errstate(all="raise"):
        res = rubin_pool(np.full((4, 2), 1.5), np.full((4, 2), 0.2)).iloc[0]
    assert res["b"] == 0 and res["riv"] == 0 and res["lambda"] == 0
    assert res["t"] == pytest.approx(0.2)
    assert np.isfinite(res["df"]) and res["df"] > 1e6


def test_vectorised_over_parameters_matches_one_at_a_time():
    rng = np.random.default_rng(1)
    q = rng.normal(size=(10, 4))
    u = rng.uniform(0.5, 1.5, size=(10, 4))
    all_at_once = rubin_pool(q, u, df_complete=50)
    for j in range(4):
        one = rubin_pool(q[:, j], u[:, j], df_complete=50).iloc[0]
        assert one["df"] == pytest.approx(all_at_once["df"].iloc[j], rel=1e-14)


def test_barnard_rubin_df_below_dfcom():
    df = barnard_rubin_df(5, np.array([0.5]), np.array([2.0]), 30.0)
    assert 0 < df[0] < 30


def test_bad_inputs_raise():
    with pytest.raises(DataError, match="m >= 2"):
        rubin_pool([1.0], [1.0])
    with pytest.raises(DataError, match="must both be"):
        rubin_pool(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(DataError, match="non-finite"):
        rubin_pool([1.0, np.nan], [1.0, 1.0], terms=["x"])


def test_pool_estimator_equals_manual_pooling():
    from pipeline.stats.pooling import pool_estimator

    rng = np.random.default_rng(3)
    sets = [pd.DataFrame({"y": rng.normal(size=30)}) for _ in range(5)]

    def mean_est(d):
        return d["y"].mean(), d["y"].var(ddof=1) / len(d), len(d) - 1

    got = pool_estimator(sets, mean_est, terms=["mean"])
    q = [d["y"].mean() for d in sets]
    u = [d["y"].var(ddof=1) / 30 for d in sets]
    want = rubin_pool(q, u, df_complete=29, terms=["mean"])
    pd.testing.assert_frame_equal(got, want)


def test_rubin_covariance_diagonal_is_rubin_pools_total_variance():
    """T = Ubar + (1 + 1/m) B (Rubin 1987): its diagonal is rubin_pool's total variance, whose
    t matches mice::pool (the tests above); off the diagonal the between-set covariance of the
    estimates; B is 0 for a coefficient every set agrees on."""
    import numpy as np

    from pipeline.stats.pooling import rubin_covariance, rubin_pool

    rng = np.random.default_rng(3)
    q = rng.normal(size=(7, 3))
    q[:, 2] = 0.5  # every set agrees
    a = rng.normal(size=(7, 3, 3))
    u = np.einsum("mij,mkj->mik", a, a) + np.eye(3)
    qbar, t = rubin_covariance(q, u)
    table = rubin_pool(q, np.diagonal(u, axis1=1, axis2=2))
    np.testing.assert_allclose(qbar, q.mean(axis=0))
    np.testing.assert_allclose(np.diag(t), table["t"].to_numpy() if "t" in table
                               else table["se"].to_numpy() ** 2, rtol=1e-12)
    b01 = np.cov(q[:, 0], q[:, 1], ddof=1)[0, 1]
    np.testing.assert_allclose(t[0, 1], u.mean(axis=0)[0, 1] + (1 + 1 / 7) * b01, rtol=1e-12)
    np.testing.assert_allclose(t[2, :2], u.mean(axis=0)[2, :2])
