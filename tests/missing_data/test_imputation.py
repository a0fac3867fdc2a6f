"""Tests for pipeline.missing_data.imputation: the imputation model's tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.missing_data.imputation import (
    all_missing_rule,
    chain_traces,
    excluded_variables,
    imputed_cells,
    observed_and_imputed,
    settings_table,
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


def test_observed_and_imputed_subsamples_large_groups_and_keeps_the_counts(result):
    """Above max_values per group the figure's table is a seeded subsample (the same on every
    run), each value one of the group's own; attrs keep the full counts for the titles. At or
    below the limit it is every value, as without a limit (the demo's figure unchanged)."""
    df, res = result
    full = observed_and_imputed(res, max_imputations=3)
    assert full["y"].attrs["subsampled"] is False
    pd.testing.assert_frame_equal(full["y"], observed_and_imputed(res, 3, max_values=32)["y"])
    small = observed_and_imputed(res, max_imputations=3, max_values=5)
    y = small["y"]
    assert y.attrs == {"n_observed": 32, "n_missing": 8, "n_sets": 3,
                       "n_imputations": len(res.imputations), "subsampled": True,
                       "max_values": 5}
    assert y.attrs["n_imputations"] >= 3  # the run's m, not the sets drawn
    assert (~y["imputed"]).sum() == 5 and y["imputed"].sum() == 5
    assert set(y.loc[~y["imputed"], "value"]) <= set(df["y"].dropna())
    pool = set(full["y"].loc[full["y"]["imputed"], "value"])
    assert set(y.loc[y["imputed"], "value"]) <= pool
    pd.testing.assert_frame_equal(y, observed_and_imputed(res, 3, max_values=5)["y"])


def test_settings_stacked_and_excluded(result):
    df, res = result
    s = settings_table(res, ["x", "y", "c", "g"]).set_index("variable")
    assert s.loc["c", "method"] == "excluded" and s.loc["y", "n_missing"] == 8
    assert (s["m"] == 3).all() and (s["iterations"] == 2).all()
    assert "c" in excluded_variables(res)
    assert all_missing_rule(True) == "raise" and all_missing_rule(False) == "exclude"


def _fake_result(chain_means: np.ndarray, chain_sds: np.ndarray):
    from pipeline.stats.mice import MICEResult
    m, it, k = chain_means.shape
    names = [f"v{j}" for j in range(k)]
    return MICEResult(imputations=[], chain_means=chain_means, chain_sds=chain_sds,
                      variables=names, method=dict.fromkeys(names, "pmm"),
                      missing_mask=pd.DataFrame(), log=pd.DataFrame(
                          columns=["variable", "event", "count", "message"]),
                      m=m, iterations=it, seed=1)


def test_convergence_rows_report_rhat_and_warn_above_1_1():
    """R-hat per variable (posterior::rhat on the last half of the traces); a stuck chain gives
    a not_converged warning row (issue 11)."""
    from pipeline.missing_data.imputation import LOG_COLUMNS, convergence_rows, imputation_log
    from pipeline.stats.convergence import rhat
    rng = np.random.default_rng(4)
    means = rng.normal(size=(6, 40, 2))
    means[0, :, 1] += 3.0                     # variable v1: one chain far from the others
    sds = rng.normal(1, 0.1, size=(6, 40, 2))
    rows = convergence_rows(_fake_result(means, sds))
    assert list(rows.columns) == LOG_COLUMNS
    conv = rows[rows["event"] == "convergence"].set_index("variable")
    assert conv.loc["v0", "rhat_mean"] == pytest.approx(rhat(means[:, 20:, 0].T))
    assert conv.loc["v0", "rhat_sd"] == pytest.approx(rhat(sds[:, 20:, 0].T))
    assert conv.loc["v0", "rhat_mean"] < 1.1 and conv.loc["v1", "rhat_mean"] > 1.1
    warn = rows[rows["event"] == "not_converged"]
    assert warn["variable"].tolist() == ["v1"] and "increase missing_data.iterations" in \
        warn["message"].iloc[0]
    log_table = imputation_log(_fake_result(means, sds))
    assert log_table["event"].tolist() == ["convergence", "convergence", "not_converged"]
    # too few iterations: R-hat not defined, no warning
    short = convergence_rows(_fake_result(means[:, :4], sds[:, :4]))
    assert short["event"].tolist() == ["convergence"] * 2 and short["rhat_mean"].isna().all()


def test_model_check_names_a_missing_retention_predictor(caplog):
    from pipeline.missing_data.imputation import model_check
    ok = model_check(["age", "y_T0", "y_T1"], ["age", "y_T0"], {})
    assert "retention model's predictors" in ok
    with caplog.at_level("WARNING", logger="pipeline.stats.mice"):
        bad = model_check(["age", "y_T0", "y_T1"], ["age", "y_T0", "x_T0"], {})
    assert "not the retention predictor(s) x_T0" in bad and "x_T0" in caplog.text
    # excluded (all missing / constant) columns do not count as in the model
    assert "y_T0" in model_check(["age", "y_T0"], ["y_T0"], {"y_T0": "constant"})


def test_imputed_cells_hold_only_the_missing_cells(result):
    """Issue 15: the imputations file holds m x (missing cells), not m copies of the table:
    one row per missing cell of each imputed variable, one column per imputation, category
    codes with their labels; the excluded (constant) variable has no cells."""
    df, res = result
    cells, levels = imputed_cells(res)
    assert list(cells.columns) == ["variable", "pid", "imp_0", "imp_1", "imp_2"]
    assert cells["variable"].value_counts().to_dict() == {"y": 8, "g": 3}
    y = cells[cells["variable"] == "y"]
    assert y["pid"].tolist() == [f"p{i}" for i in range(8)]
    for i, d in enumerate(res.imputations):
        np.testing.assert_array_equal(y[f"imp_{i}"], d.loc[:7, "y"])
        g = cells.loc[cells["variable"] == "g", f"imp_{i}"].astype(int)
        assert [levels["g"][c] for c in g] == d.loc[8:10, "g"].astype(str).tolist()
    assert set(levels) == {"g"}
