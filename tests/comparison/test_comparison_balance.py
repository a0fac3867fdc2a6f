"""pipeline.comparison.balance: propensity weights and the balance table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.comparison.balance import balance_table, propensity_weights


def _frame(n: int, seed: int, shift: float = 0.8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = (rng.random(n) < 0.4).astype(float)
    p = (rng.random(n) < 1 / (1 + np.exp(-(shift * x - 0.5 * z)))).astype(float)
    return pd.DataFrame({"P": p, "x": x, "z": z, "y0": x + rng.normal(size=n)})


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_overlap_weights_balance_every_model_covariate_exactly(seed):
    f = _frame(200, seed)
    w, status, _ = propensity_weights(f, "P", ["x", "z", "y0"], "overlap")
    assert status == "ok"
    t = balance_table(f, f[["x"]], "P", {"x": "numeric"}, ["y0"], w, "overlap", status, "")
    assert np.allclose(t["smd_after"], 0, atol=1e-8)


def test_smd_before_is_austins_and_ess_is_kish():
    f = _frame(300, 4)
    w, status, _ = propensity_weights(f, "P", ["x", "z"], "ipw")
    raw = pd.DataFrame({"x": f["x"], "sex": np.where(f["z"] == 1, "Man", "Woman")})
    t = balance_table(f, raw, "P", {"x": "numeric", "sex": "categorical"}, [], w, "ipw",
                      status, "")
    x1, x0 = f.loc[f["P"] == 1, "x"], f.loc[f["P"] == 0, "x"]
    expect = (x1.mean() - x0.mean()) / np.sqrt((x1.var() + x0.var()) / 2)
    assert t.loc[t["variable"] == "x", "smd_before"].iloc[0] == pytest.approx(expect)
    p1, p0 = (f.loc[f["P"] == 1, "z"]).mean(), (f.loc[f["P"] == 0, "z"]).mean()
    man = t[(t["variable"] == "sex") & (t["level"] == "Man")].iloc[0]
    assert man["smd_before"] == pytest.approx((p1 - p0) / np.sqrt((p1 * (1 - p1)
                                                                   + p0 * (1 - p0)) / 2))
    w1 = w[f["P"] == 1]
    assert t["ess_programme"].iloc[0] == pytest.approx(w1.sum() ** 2 / (w1**2).sum())
    e = 1 - 1 / w[f["P"] == 1]  # ipw: 1/e in the programme arm
    assert ((e > 0) & (e < 1)).all()
    assert abs(t.loc[t["variable"] == "x", "smd_after"].iloc[0]) < abs(expect)


def test_no_weighting_and_unestimable_model_say_why():
    f = _frame(100, 1)
    w, status, msg = propensity_weights(f, "P", ["x"], "none")
    assert status == "not_run" and w.isna().all() and "comparison.weighting" in msg
    f["P"] = 0.0
    f.loc[:3, "P"] = 1.0  # 4 in the programme arm: too few events
    w, status, msg = propensity_weights(f, "P", ["x"], "overlap")
    assert status == "not_estimable" and w.isna().all() and "too few events" in msg


def _with_rare_level():
    f = _frame(300, 7)
    rng = np.random.default_rng(3)
    level = np.where(f["z"] == 1, "Man", "Woman").astype(object)
    prog = np.flatnonzero(f["P"].to_numpy() == 1)
    level[prog[:4]] = "Non-binary / other"  # 4 people in the programme arm: < min_cell
    raw = pd.DataFrame({"x": f["x"], "gender": level})
    w, status, _ = propensity_weights(f, "P", ["x", "z"], "overlap")
    t = balance_table(f, raw, "P", {"x": "numeric", "gender": "categorical"}, ["y0"], w,
                      "overlap", status, "")
    return t, rng


def test_public_balance_hides_small_counts_and_the_shares_that_give_them_away():
    from pipeline.comparison.balance import PUBLIC_BALANCE_COLUMNS, public_balance

    t, _ = _with_rare_level()
    pub = public_balance(t, 10)
    assert list(pub.columns) == PUBLIC_BALANCE_COLUMNS
    g = pub[pub["variable"] == "gender"].set_index("level")
    rare = g.loc["Non-binary / other"]
    assert rare["count_programme"] == "<10"
    assert isinstance(rare["mean_programme"], str) and isinstance(
        rare["mean_programme_weighted"], str)  # the share of 4 people is hidden
    # secondary: the arm's levels add up to its number with gender, so one more is hidden
    hidden = [v for v in g["count_programme"] if isinstance(v, str)] + [
        v for v in g["n_programme"].dropna() if isinstance(v, str)]
    assert len(hidden) >= 2
    # the SMD of a hidden share would give it back (with the other arm's share): hidden too
    assert rare["smd_before"] == "[c]" and rare["smd_after"] == "[c]"
    shown = g[~g["count_programme"].map(lambda v: isinstance(v, str))
              & ~g["count_reference"].map(lambda v: isinstance(v, str))]
    assert np.isfinite(pd.to_numeric(shown["smd_before"])).all()
    assert g["n_programme"].notna().sum() == 1  # the arm's number once per covariate
    x = pub[pub["variable"] == "x"].iloc[0]
    assert x["n_programme"] == int(t.loc[t["variable"] == "x", "n_programme"].iloc[0])


def test_public_balance_of_a_table_without_small_counts_shows_everything():
    from pipeline.comparison.balance import public_balance

    f = _frame(300, 4)
    raw = pd.DataFrame({"x": f["x"], "sex": np.where(f["z"] == 1, "Man", "Woman")})
    w, status, _ = propensity_weights(f, "P", ["x", "z"], "overlap")
    t = balance_table(f, raw, "P", {"x": "numeric", "sex": "categorical"}, [], w, "overlap",
                      status, "")
    pub = public_balance(t, 10)
    assert pd.to_numeric(pub["count_programme"].dropna()).gt(10).all()
    sex = pub[pub["variable"] == "sex"]
    assert (pd.to_numeric(sex["count_programme"]) + pd.to_numeric(sex["count_reference"])
            ).sum() == 300
