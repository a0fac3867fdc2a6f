"""Little's MCAR test on singular or degenerate data (issue 13): never a bare LinAlgError, but a
``not_estimable`` result naming the variables and what to do.

Before the fix, two equal variables missing together (a scale total and its only item, a
duplicated column) made ``em_step`` raise ``LinAlgError: Singular matrix`` on Likert data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.stats.mcar import little_mcar, mcar_table


def _likert(seed: int, n: int = 60, p: int = 3, miss: float = 0.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(n, p)).astype(float)
    x[rng.random((n, p)) < miss] = np.nan
    return pd.DataFrame(x, columns=[f"v{i}" for i in range(p)])


def test_duplicated_column_missing_together_is_not_estimable_naming_both():
    df = _likert(0)
    df["v0_copy"] = df["v0"]
    res = little_mcar(df, variables_key="attrition.mcar_variables")
    assert res["status"] == "not_estimable" and np.isnan(res["chi2"])
    assert "variables v0 and v0_copy are identical (or perfectly collinear)" in res["message"]
    assert "drop one of each pair from attrition.mcar_variables" in res["message"]
    assert mcar_table(res).loc[0, "status"] == "not_estimable"


def test_total_and_its_only_item_with_seed_that_used_to_raise():
    """Seed 0 of this recipe raised LinAlgError inside the EM before the fix."""
    rng = np.random.default_rng(0)
    n, p = int(rng.integers(5, 60)), int(rng.integers(1, 4))
    x = rng.integers(1, 6, size=(n, p)).astype(float)
    x[rng.random((n, p)) < .2] = np.nan
    df = pd.DataFrame(x, columns=[f"v{i}" for i in range(p)])
    df["dup"] = df["v0"]
    if rng.random() < .5:
        df["tot"] = df.sum(axis=1, min_count=df.shape[1])
    res = little_mcar(df)
    assert res["status"] == "not_estimable"
    assert "v0 and dup" in res["message"] and "from the variables tested" in res["message"]


def test_rescaled_copy_counts_as_collinear():
    df = _likert(2)
    df["v1_x2"] = 2 * df["v1"] + 1
    res = little_mcar(df)
    assert res["status"] == "not_estimable" and "v1 and v1_x2" in res["message"]


def test_exact_linear_combination_of_three_is_named():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 3))
    x[rng.random(200) < .3, 1] = np.nan
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    df["total"] = df["a"] + df["b"] + df["c"]
    res = little_mcar(df)
    assert res["status"] == "not_estimable"
    assert "singular" in res["message"] and "total (from a, b, c)" in res["message"]


def test_constant_variable_is_excluded_not_fatal():
    df = _likert(3)
    df["const"] = 4.0
    res = little_mcar(df)
    assert "const (constant (no variance))" in res["message"]
    assert res["status"] in ("ok", "not_estimable")


def test_fewer_rows_than_variables_is_not_estimable():
    df = _likert(5, n=4, p=6, miss=0.1)
    res = little_mcar(df)
    assert res["status"] == "not_estimable"


def test_infinite_value_is_not_estimable_naming_the_column():
    df = _likert(6)
    df.loc[3, "v2"] = np.inf
    res = little_mcar(df)
    assert res["status"] == "not_estimable" and "['v2']" in res["message"]


def test_huge_values_do_not_escape_as_numpy_errors():
    df = _likert(7)
    df["big"] = df["v0"] * 1e160
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = little_mcar(df)
    assert res["status"] == "not_estimable" and "['big']" in res["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 40),
    p=st.integers(1, 4),
    miss=st.floats(0.0, 0.9),
    dup=st.booleans(),
    total=st.booleans(),
)
def test_never_raises_on_small_integer_data(seed, n, p, miss, dup, total):
    df = _likert(seed, n=n, p=p, miss=miss)
    if dup:
        df["dup"] = df["v0"]
    if total:
        df["tot"] = df[[f"v{i}" for i in range(p)]].sum(axis=1, min_count=p)
    res = little_mcar(df)
    assert res["status"] in ("ok", "not_estimable")
    assert res["status"] == "ok" or res["message"].startswith("Little's MCAR test not estimable")
    if res["status"] == "ok":
        assert np.isfinite(res["chi2"]) and res["df"] > 0
