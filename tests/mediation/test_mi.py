"""Bootstrap-then-impute serial mediation (pipeline/mediation/mi.py), with stand-in imputers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mediation_helpers import boot_mi, complete_case, reference_spec, wide_from_chain
from scipy import stats

from pipeline.mediation.bootstrap import IndexPlan, ResamplePlan
from pipeline.mediation.frame import derive_frame
from pipeline.mediation.mi import chunk_samples, mice_imputer


def identity_imputer(data: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
    return [data.copy() for _ in range(m)]


def mean_imputer(data: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
    """Deterministic stand-in: fill each numeric column with its mean in this bootstrap sample."""
    return [data.fillna(data.mean(numeric_only=True)) for _ in range(m)]


def test_without_missing_data_reduces_to_the_ordinary_bootstrap():
    wide = wide_from_chain()
    spec = reference_spec(covariates=["age"])
    idx = ResamplePlan(len(wide), 200, 4).indices()
    mi = boot_mi(identity_imputer, M=2, plan=IndexPlan(idx)).fit(wide, spec)
    cc = complete_case(seed=0, plan=IndexPlan(idx)).fit(wide, spec)
    ind = mi.table["effect_type"].isin(["indirect_specific", "indirect_total", "contrast",
                                        "std_indirect"])
    # identical imputations: SSW = 0, so sigma2_between = var of the B sample estimates and
    # Var = (1 + 1/B) var, df = B - 1 (von Hippel & Bartlett 2021 ANOVA estimator)
    B = idx.shape[0]
    se = np.sqrt(1 + 1 / B) * cc.table.loc[ind, "se"].to_numpy()
    np.testing.assert_allclose(mi.table.loc[ind, "se"], se, rtol=1e-9)
    np.testing.assert_allclose(mi.table.loc[ind, "df"], B - 1, rtol=1e-9)
    half = stats.t.ppf(0.975, B - 1) * se
    np.testing.assert_allclose(mi.table.loc[ind, "ci_lower"], mi.table.loc[ind, "est"] - half,
                               rtol=1e-9)
    assert (mi.table.loc[ind, "ci_upper_mcse"] > 0).all()
    # the boot-MI point estimate is the mean over bootstrap samples (von Hippel & Bartlett 2021)
    np.testing.assert_allclose(mi.table.loc[ind, "est"], cc.draws.mean(axis=0)[ind.to_numpy()],
                               rtol=1e-9)
    assert set(mi.table["method"]) == {"mi"}
    assert set(mi.table["ci_method"]) == {"boot_mi_anova_t"}
    assert "bootstrap-then-impute" in mi.status["message"].iloc[0]


def test_mechanics_with_mean_imputation_match_a_manual_loop():
    wide = wide_from_chain()
    rng = np.random.default_rng(1)
    wide.loc[rng.random(len(wide)) < 0.3, "qol_T1"] = np.nan
    wide.loc[rng.random(len(wide)) < 0.2, "group_memberships_T1"] = np.nan
    spec = reference_spec(covariates=["age"])
    calls = []

    def spy(data, m, seed):
        calls.append((len(data), m, seed, data["group_memberships_T1"].isna().any()))
        return mean_imputer(data, m, seed)

    B = 30
    idx = ResamplePlan(len(wide), B, 9).indices()
    res = boot_mi(spy, M=2, seed=5, plan=IndexPlan(idx)).fit(wide, spec)
    assert len(calls) == B and all(c[0] == len(wide) and c[1] == 2 for c in calls)
    assert len({c[2] for c in calls}) == B                 # a distinct seed per bootstrap sample
    assert all(c[3] for c in calls)               # the imputer sees the incomplete *sources*
    # manual: resample, mean-impute wave scores, then derive the change score, then OLS
    ind12 = []
    for rows in idx:
        s = wide.iloc[rows].reset_index(drop=True)
        imp = mean_imputer(s, 1, 0)[0]
        f = derive_frame(imp, spec).to_numpy()
        X = np.column_stack([np.ones(len(f)), f[:, :2]])          # 1, x, age
        a1 = np.linalg.lstsq(X, f[:, 2], rcond=None)[0][1]
        X2 = np.column_stack([np.ones(len(f)), f[:, :3]])
        d21 = np.linalg.lstsq(X2, f[:, 3], rcond=None)[0][3]
        Xy = np.column_stack([np.ones(len(f)), f[:, :5]])
        b2 = np.linalg.lstsq(Xy, f[:, 5], rcond=None)[0][4]
        ind12.append(a1 * d21 * b2)
    row = res.table.set_index("label").loc["ind_12"]
    assert row["est"] == pytest.approx(np.mean(ind12), rel=1e-9)
    se = np.sqrt(1 + 1 / B) * np.std(ind12, ddof=1)     # M identical imputations: SSW = 0
    assert row["se"] == pytest.approx(se, rel=1e-9)
    assert row["ci_lower"] == pytest.approx(np.mean(ind12) - stats.t.ppf(0.975, B - 1) * se,
                                            rel=1e-9)
    assert row["n"] == len(wide) and row["B"] == B


def test_imputer_that_leaves_gaps_is_a_failed_model():
    wide = wide_from_chain()
    wide.loc[wide.index[:100], "qol_T1"] = np.nan
    res = boot_mi(identity_imputer, B=100, M=2).fit(wide, reference_spec(covariates=["age"]))
    assert res.status["status"].iloc[0] == "failed" and res.table.empty
    assert "qol_T1" in res.status["message"].iloc[0]


def test_not_estimable_when_a_variable_is_almost_never_observed():
    wide = wide_from_chain()
    wide.loc[wide.index[10:], "qol_T1"] = np.nan
    res = boot_mi(mean_imputer, B=100, M=2).fit(wide, reference_spec())
    assert res.status["status"].iloc[0] == "not_estimable" and res.table.empty


def test_mice_adapter_passes_arguments_and_unwraps_imputations():
    seen = {}

    class Result:
        imputations = ("a", "b")

    def fake_mice(wide, columns, *, m, iterations, seed, **options):
        seen.update(columns=columns, m=m, iterations=iterations, seed=seed, **options)
        return Result()

    impute = mice_imputer(fake_mice, iterations=7, donors=3)
    out = impute(pd.DataFrame({"u": [1.0], "v": [2.0]}), 2, 11)
    assert out == ["a", "b"]
    assert seen == {"columns": ["u", "v"], "m": 2, "iterations": 7, "seed": 11, "donors": 3}


@pytest.mark.parametrize("S,cells,budget", [(500, 13860, 1 << 22), (1000, 13860, 1 << 22),
                                            (7, 1, 3), (1, 10**9, 1 << 22), (10, 5, 10**6)])
def test_chunks_bound_the_cells_and_are_of_equal_size(S, cells, budget):
    step = chunk_samples(S, cells, budget)
    sizes = [min(step, S - a) for a in range(0, S, step)]
    assert sum(sizes) == S
    assert step == 1 or step * cells <= budget  # within the budget unless one sample exceeds it
    # the fewest chunks the budget allows, none a small remainder
    assert len(sizes) == max(1, -(-S * cells // budget)) if step > 1 else len(sizes) == S
    assert max(sizes) - min(sizes) <= len(sizes)


def test_grams_are_the_same_numbers_whatever_the_chunk_size(monkeypatch):
    """The memory bound (mi.CHUNK_CELLS) never changes a number: each sample is imputed and its
    Gram matrices computed exactly as in one chunk of all samples."""
    from pipeline.mediation import mi as mi_module
    from pipeline.stats.mice import mice

    wide = wide_from_chain().iloc[:120].copy()
    rng = np.random.default_rng(3)
    wide.loc[rng.random(len(wide)) < 0.3, "qol_T1"] = np.nan
    wide.loc[rng.random(len(wide)) < 0.2, "group_memberships_T1"] = np.nan
    spec = reference_spec(covariates=["age"])
    est = boot_mi(mice_imputer(mice, iterations=2, method="pmm", donors=5, ridge=1e-5), B=9)
    p = est.prepare(wide, spec)
    whole = est.grams(p, spec)
    for budget in (1, 3 * 2 * 120 * p.raw.shape[1], 10**9):
        monkeypatch.setattr(mi_module, "CHUNK_CELLS", budget)
        np.testing.assert_array_equal(est.grams(p, spec), whole)
        np.testing.assert_array_equal(est.grams(p, spec, 4, 9), whole[4:])
