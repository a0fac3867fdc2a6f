"""Tests for pipeline.stats.mice: MICE with PMM, against R mice and against known truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import ConfigError, DataError
from pipeline.stats.mice import (
    MiceSettings,
    complete_cases,
    default_m,
    mice,
)
from pipeline.stats.pooling import rubin_pool

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "mice"


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and their variances (as R's lm / vcov)."""
    X = np.column_stack([np.ones(len(y)), x])
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    r = y - X @ b
    s2 = r @ r / (len(y) - X.shape[1])
    return b, np.diag(xtx_inv) * s2


@pytest.fixture(scope="module")
def sim():
    return pd.read_csv(FIX / "sim_mar.csv")


@pytest.fixture(scope="module")
def sim_result(sim):
    return mice(sim, list(sim.columns), m=50, iterations=10, seed=20220202)


def _pool_reference_analyses(result):
    q, u = [], []
    for d in result.imputations:
        b, v = _ols(d["y_T2"].to_numpy(), d[["x_T0", "y_T0"]].to_numpy())
        y = d["y_T2"].to_numpy()
        q.append(np.r_[b, y.mean()])
        u.append(np.r_[v, y.var(ddof=1) / len(y)])
    return rubin_pool(np.array(q), np.array(u), df_complete=[627, 627, 627, 629])


def test_agrees_with_r_mice_within_monte_carlo_error(sim_result):
    """Pooled estimates, SEs and fmi agree with mice (pmm, m = 50, maxit = 10) within 4 MC SEs.

    Both runs are independent Monte Carlo draws, so their pooled estimates differ by
    N(0, B_R/m_R + B_py/m_py) (var of Qbar over imputations = B/m). The SE and fmi differ mainly
    through the estimate of B, whose sampling SD is B sqrt(2/(m-1)); we propagate it by the delta
    method: SD(se) ~ (1+1/m) SD(B) / (2 se), SD(fmi) ~ (1+1/m) Ubar SD(B) / T^2, each summed
    over the two runs.
    """
    ref = pd.read_csv(FIX / "mice_pooled.csv")
    ours = _pool_reference_analyses(sim_result)
    m = 50
    c = 1 + 1 / m

    def sd_b(b: float) -> float:  # sampling SD of B (normal theory)
        return b * np.sqrt(2 / (m - 1))

    for i in range(4):
        r, o = ref.iloc[i], ours.iloc[i]
        mc_est = np.sqrt(r["b"] / m + o["b"] / m)
        assert abs(o["estimate"] - r["estimate"]) < 4 * mc_est, r["term"]
        mc_se = c * np.sqrt(sd_b(r["b"]) ** 2 + sd_b(o["b"]) ** 2) / (2 * r["se"])
        assert abs(o["se"] - r["se"]) < 4 * mc_se, (r["term"], o["se"], r["se"], mc_se)
        mc_fmi = c * r["ubar"] * np.sqrt(sd_b(r["b"]) ** 2 + sd_b(o["b"]) ** 2) / r["t"] ** 2
        assert abs(o["fmi"] - r["fmi"]) < 4 * mc_fmi, (r["term"], o["fmi"], r["fmi"], mc_fmi)
        # Within-imputation variance is nearly free of MC error: within 5 %.
        assert o["ubar"] == pytest.approx(r["ubar"], rel=0.05)


def test_mi_removes_complete_case_bias_in_reference_data(sim_result):
    truth = json.loads((FIX / "sim_truth.json").read_text())
    ours = _pool_reference_analyses(sim_result).iloc[3]
    full = truth["sample_mean_y_T2_full"]
    assert abs(ours["estimate"] - full) < 2 * ours["se"]
    assert abs(truth["cc_mean_y_T2"] - full) > 3 * ours["se"]


def test_recovers_population_mean_under_mar():
    rng = np.random.default_rng(11)
    n = 3000
    x = rng.normal(size=n)
    y = 50 + 10 * x + rng.normal(0, 5, size=n)
    miss = rng.uniform(size=n) < 1 / (1 + np.exp(-(-0.5 + 1.5 * x)))  # MAR on x
    df = pd.DataFrame({"x": x, "y": np.where(miss, np.nan, y)})
    res = mice(df, ["x", "y"], m=10, iterations=3, seed=5)
    ys = np.array([d["y"].to_numpy() for d in res.imputations])
    pooled = rubin_pool(ys.mean(axis=1), ys.var(axis=1, ddof=1) / n).iloc[0]
    cc = df["y"].mean()
    assert abs(cc - 50) > 2.0  # complete cases are biased (~ -4)
    assert abs(pooled["estimate"] - y.mean()) < 3 * pooled["se"]
    assert abs(pooled["estimate"] - 50) < 0.6


def test_seeded_reproducible_and_chain_independent_of_m(sim):
    a = mice(sim, list(sim.columns), m=3, iterations=2, seed=7)
    b = mice(sim, list(sim.columns), m=3, iterations=2, seed=7)
    c = mice(sim, list(sim.columns), m=3, iterations=2, seed=8)
    d = mice(sim, list(sim.columns), m=5, iterations=2, seed=7)
    for x, y in zip(a.imputations, b.imputations, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not a.imputations[0].equals(c.imputations[0])
    pd.testing.assert_frame_equal(a.imputations[2], d.imputations[2])
    np.testing.assert_array_equal(a.chain_means, b.chain_means)


def test_structure_observed_kept_donors_only(sim_result, sim):
    res = sim_result
    assert res.variables == ["x_T0", "x_T1", "y_T1", "y_T2"]
    assert res.method == {"age": "", "x_T0": "pmm", "y_T0": "", "x_T1": "pmm", "y_T1": "pmm",
                          "y_T2": "pmm"}
    assert res.chain_means.shape == (50, 10, 4) and res.chain_sds.shape == (50, 10, 4)
    assert np.isfinite(res.chain_means).all()
    mask = res.missing_mask
    for d in res.imputations[:5]:
        assert not d.isna().any().any()
        pd.testing.assert_frame_equal(d.where(~mask), sim.where(~mask))
        for v in res.variables:  # PMM imputes observed values only
            assert set(d.loc[mask[v], v]) <= set(sim[v].dropna())


def test_categorical_covariate_dummies_and_imputation():
    rng = np.random.default_rng(3)
    n = 400
    gender = rng.choice(["Woman", "Man", "Non-binary / other"], size=n, p=[0.55, 0.4, 0.05])
    y0 = rng.normal(60, 10, n) + 8 * (gender == "Man")
    y1 = y0 + rng.normal(0, 5, n)
    df = pd.DataFrame({"pid": [f"p{i}" for i in range(n)], "gender": gender, "y_T0": y0,
                       "y_T1": y1})
    df.loc[rng.uniform(size=n) < 0.1, "gender"] = None
    df.loc[rng.uniform(size=n) < 0.5, "y_T1"] = np.nan
    res = mice(df, ["gender", "y_T0", "y_T1"], m=2, iterations=3, seed=1)
    out = res.imputations[0]
    assert out["gender"].notna().all()
    assert set(out["gender"]) <= {"Woman", "Man", "Non-binary / other"}
    assert out["gender"].dtype == df["gender"].dtype
    assert (out["pid"] == df["pid"]).all()
    # Imputed gender follows y_T0: imputed "Man" rows have higher y_T0 on average.
    imp = res.missing_mask["gender"]
    both = pd.concat([d.loc[imp, ["gender", "y_T0"]] for d in res.imputations])
    means = both.groupby("gender")["y_T0"].mean()
    assert means["Man"] > means["Woman"]


def test_all_missing_variable_raises():
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "qol_T2": [np.nan] * 4})
    with pytest.raises(DataError, match="qol_T2.*missing for all 4"):
        mice(df, ["a", "qol_T2"], m=2, iterations=1, seed=1)


def test_all_missing_variable_excluded_on_request():
    """all_missing="exclude" (default column lists): left out, logged, m from the other columns."""
    rng = np.random.default_rng(2)
    n = 60
    a = rng.normal(size=n)
    df = pd.DataFrame({"a": a, "b": np.where(np.arange(n) < 6, np.nan, a + rng.normal(size=n)),
                       "qol_T2": np.nan, "g": pd.Categorical([None] * n, categories=["x", "y"])})
    res = mice(df, ["a", "b", "qol_T2", "g"], iterations=2, seed=1, all_missing="exclude")
    assert res.method == {"a": "", "b": "pmm", "qol_T2": "excluded", "g": "excluded"}
    assert res.variables == ["b"] and res.m == 10  # 6 of 60 incomplete, not 60 of 60
    events = res.log.set_index("variable")
    assert events.loc["qol_T2", "event"] == "all_missing"
    assert "missing for all 60 participants" in events.loc["qol_T2", "message"]
    assert events.loc["g", "event"] == "all_missing"
    assert "qol_T2" not in res.predictors["b"]
    for d in res.imputations:
        assert d["qol_T2"].isna().all() and d["b"].notna().all()
    with pytest.raises(ConfigError, match="all_missing"):
        mice(df, ["a"], m=2, iterations=1, seed=1, all_missing="drop")


def test_unknown_column_raises_with_hint():
    df = pd.DataFrame({"qol_T1": [1.0, np.nan, 3]})
    with pytest.raises(DataError, match="did you mean 'qol_T1'"):
        mice(df, ["qol_t1"], m=2, iterations=1, seed=1)
    with pytest.raises(ConfigError, match="not supported"):
        mice(df, ["qol_T1"], m=2, iterations=1, seed=1, method="norm")


def test_constant_and_collinear_are_logged_not_fatal():
    rng = np.random.default_rng(4)
    n = 200
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "x_copy": 2 * x + 1, "k": 1.0,
                       "y": np.where(rng.uniform(size=n) < 0.3, np.nan, x + rng.normal(size=n))})
    df.loc[:4, "k"] = np.nan
    res = mice(df, ["x", "x_copy", "k", "y"], m=2, iterations=2, seed=3)
    events = set(zip(res.log["variable"], res.log["event"], strict=True))
    assert ("k", "constant") in events
    assert ("y", "predictor_removed") in events
    assert res.method["k"] == "excluded" and res.imputations[0]["k"].isna().sum() == 5
    assert res.imputations[0]["y"].notna().all()


def test_predictor_subset():
    rng = np.random.default_rng(8)
    n = 300
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    y = np.where(rng.uniform(size=n) < 0.4, np.nan, 3 * x + rng.normal(size=n))  # cor ~ 0.95 < 0.99
    df = pd.DataFrame({"x": x, "z": z, "y": y})
    only_z = mice(df, ["x", "z", "y"], m=5, iterations=1, seed=2, predictors={"y": ["z"]})
    with_x = mice(df, ["x", "z", "y"], m=5, iterations=1, seed=2)
    miss = np.isnan(y)
    def cor(res):  # mean correlation of imputed y with x over the imputations
        return np.mean([np.corrcoef(d.loc[miss, "y"], x[miss])[0, 1] for d in res.imputations])

    assert cor(with_x) > 0.85 and abs(cor(only_z)) < 0.1
    assert only_z.predictors["y"] == ["z"]
    with pytest.raises(ConfigError, match="did you mean 'z'"):
        mice(df, ["x", "z", "y"], m=1, iterations=1, seed=2, predictors={"y": ["zz"]})


def test_default_m_white_royston_wood():
    df = pd.DataFrame({"a": [1.0] * 100, "b": [np.nan] * 37 + [1.0] * 63})
    assert default_m(df, ["a", "b"]) == 37
    assert default_m(df, ["a"]) == 5
    assert default_m(df, ["a", "b"], maximum=20) == 20
    df2 = pd.DataFrame({"b": [np.nan] * 901 + [1.0] * 99})
    assert default_m(df2, ["b"]) == 91  # ceil(90.1)
    assert mice(df, ["a", "b"], iterations=1, seed=1).m == 37


def test_complete_cases():
    df = pd.DataFrame({"a": [1.0, np.nan, 3], "b": [1.0, 2, np.nan], "c": [np.nan, 1, 1]})
    out, dropped = complete_cases(df, ["a"])
    assert dropped == 1 and list(out.index) == [0, 2]
    assert out.attrs["method"] == "complete_case"
    out, dropped = complete_cases(df, ["a", "b"])
    assert dropped == 2 and len(out) == 1
    with pytest.raises(DataError):
        complete_cases(df, ["zz"])


@pytest.mark.slow
def test_agrees_with_r_mice_large_m(sim):
    """Tighter check: ours with m = 100 vs mice with m = 500 (MC SD of the difference in pooled
    estimates sqrt(B/500 + B/100), about 0.55 x the m = 50 test's); 4 MC SDs as above."""
    ref = pd.read_csv(FIX / "mice_pooled_m500.csv")
    ours = _pool_reference_analyses(mice(sim, list(sim.columns), m=100, iterations=10, seed=99))
    for i in range(4):
        r, o = ref.iloc[i], ours.iloc[i]
        mc_est = np.sqrt(r["b"] / 500 + o["b"] / 100)
        assert abs(o["estimate"] - r["estimate"]) < 4 * mc_est, r["term"]
        sd_b = np.sqrt((r["b"] * np.sqrt(2 / 499)) ** 2 + (o["b"] * np.sqrt(2 / 99)) ** 2)
        assert abs(o["se"] - r["se"]) < 4 * sd_b / (2 * r["se"]), r["term"]
        assert abs(o["fmi"] - r["fmi"]) < 4 * r["ubar"] * sd_b / r["t"] ** 2, r["term"]


def test_settings_kwargs_drive_mice():
    s = MiceSettings(method="pmm", m=None, m_min=12, m_max=100, iterations=3, donors=5,
                     ridge=1e-5, predictors={"b": ("a",)})
    kw = s.kwargs()
    assert kw["predictors"] == {"b": ["a"]} and kw["m"] is None
    df = pd.DataFrame({"a": [1.0, 2.0] * 5, "b": [np.nan] + [1.0, 2.0] * 4 + [3.0]})
    res = mice(df, ["a", "b"], seed=1, **kw)
    assert res.m == 12 and res.iterations == 3 and res.predictors["b"] == ["a"]


def test_completed_sets_are_built_on_demand_from_the_imputed_cells():
    """Issue 15: a run holds one copy of the data plus m x (missing cells), and builds a
    completed data set only when asked; each build is equal, fresh and independent."""
    from pipeline.stats.mice import CompletedSets

    rng = np.random.default_rng(8)
    df = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60),
                       "g": rng.choice(["a", "b"], 60).astype(object), "z": np.arange(60.0)})
    df.loc[:9, "y"], df.loc[20:24, "g"] = np.nan, None
    res = mice(df, ["x", "y", "g"], m=4, iterations=2, seed=3)
    sets = res.imputations
    assert isinstance(sets, CompletedSets) and len(sets) == 4
    assert sets.cells["y"].shape == (4, 10) and sets.cells["g"].shape == (4, 5)
    first = sets[0]
    first.loc[0, "y"] = 999.0  # a caller changing its copy does not change the result
    assert sets[0].loc[0, "y"] != 999.0
    pd.testing.assert_frame_equal(sets[-1], sets[3])
    assert [d.loc[:9, "y"].tolist() for d in sets[1:3]] == sets.cells["y"][1:3].tolist()
    assert [d["y"].isna().sum() for d in sets] == [0] * 4
    pd.testing.assert_series_equal(sets[2]["z"], df["z"])
    with pytest.raises(IndexError):
        sets[4]


def _collinear_frame():
    """Data whose updates log events: a constant column (set-up) and a copy of a predictor
    (predictor_removed in every update of y): the log merged from parts must keep them."""
    rng = np.random.default_rng(4)
    n = 150
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "x_copy": 2 * x + 1, "k": 1.0,
                       "z": np.where(rng.uniform(size=n) < 0.2, np.nan, rng.normal(size=n)),
                       "y": np.where(rng.uniform(size=n) < 0.3, np.nan, x + rng.normal(size=n))})
    df.loc[:4, "k"] = np.nan
    df.loc[5:9, "x"] = np.nan
    return df


@pytest.mark.parametrize("split", [[0, 5], [0, 2, 5], [0, 1, 1, 3, 4, 5], [0, 0, 5]])
def test_chains_run_in_any_split_gather_to_the_same_result(split):
    """Issue 15: the chains of a run may run in separate jobs (mice_plan().run(lo, hi)); chain i
    gives the same numbers in any part, and the gathered result (imputations, traces, event log)
    equals mice()'s, whatever the split or the order the parts come in."""
    from pipeline.stats.mice import mice_plan

    df = _collinear_frame()
    cols = list(df.columns)
    whole = mice(df, cols, m=5, iterations=3, seed=11)
    plan = mice_plan(df, cols, m=5, iterations=3, seed=11)
    parts = [plan.run(lo, hi) for lo, hi in zip(split[:-1], split[1:], strict=True)]
    got = plan.result(parts[::-1])
    for name in whole.variables:
        np.testing.assert_array_equal(got.imputations.cells[name], whole.imputations.cells[name])
    np.testing.assert_array_equal(got.chain_means, whole.chain_means)
    np.testing.assert_array_equal(got.chain_sds, whole.chain_sds)
    pd.testing.assert_frame_equal(got.log, whole.log)
    assert {"constant", "predictor_removed"} <= set(whole.log["event"])
    assert whole.log.loc[whole.log["event"] == "predictor_removed", "count"].iloc[0] == 5 * 3


def test_gathering_refuses_parts_that_do_not_hold_every_chain_once():
    from pipeline.stats.mice import mice_plan

    df = _collinear_frame()
    plan = mice_plan(df, list(df.columns), m=4, iterations=2, seed=1)
    with pytest.raises(ValueError, match="chain 2 is missing"):
        plan.result([plan.run(0, 2), plan.run(3, 4)])
    with pytest.raises(ValueError, match="given twice"):
        plan.result([plan.run(0, 2), plan.run(1, 4)])
    with pytest.raises(ValueError, match="not at m=4"):
        plan.result([plan.run(0, 3)])
    with pytest.raises(ValueError, match="not chains of a run"):
        plan.run(2, 5)
    other = mice_plan(df, list(df.columns), m=4, iterations=3, seed=1)
    with pytest.raises(ValueError, match="traces"):
        plan.result([other.run(0, 4)])


def test_infinite_values_are_refused_naming_the_column():
    """An imputation model needs finite numbers (the whole-design predictions multiply every
    design column, and 0 x inf is NaN): refused with the column and the count."""
    d = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0], "b": [1.0, np.inf, 3.0, -np.inf,
                                                                     np.nan, 2.0]})
    with pytest.raises(DataError, match=r"'b' \(2 rows\)"):
        mice(d, ["a", "b"], m=2, iterations=2, seed=1)
