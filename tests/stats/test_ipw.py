"""Tests for pipeline/weights.py (inverse-probability-of-retention weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.stats.ipw import ipw_weights, kish_ess

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"


def _groups() -> pd.DataFrame:
    # g = 0: 10 people, 5 retained (p = 1/2); g = 1: 8 people, 2 retained (p = 1/4).
    g = [0] * 10 + [1] * 8
    r = [True] * 5 + [False] * 5 + [True] * 2 + [False] * 6
    return pd.DataFrame({"g": g, "responded_T1": r})


def test_hand_checkable_saturated_model():
    d = _groups()  # 7 retained: below the default minimum of 10 events, so lower it here
    w, diag = ipw_weights(d, "T1", ["g"], stabilised=False, truncate=None, min_events=5)
    assert diag["status"] == "ok"
    np.testing.assert_allclose(w[d["responded_T1"]], [2.0] * 5 + [4.0] * 2, rtol=1e-8)
    assert w[~d["responded_T1"]].isna().all()
    ws, diag_s = ipw_weights(d, "T1", ["g"], stabilised=True, truncate=None, min_events=5)
    np.testing.assert_allclose(ws.dropna(), w.dropna() * 7 / 18, rtol=1e-8)
    # weighting restores the full-sample share of g = 1 (8/18) exactly
    bal = diag_s["balance"].set_index("variable")
    assert bal.loc["g", "mean_retained_weighted"] == pytest.approx(8 / 18)
    assert bal.loc["g", "smd_weighted"] == pytest.approx(0, abs=1e-8)
    assert diag_s["ess"] == pytest.approx(kish_ess(ws.dropna().to_numpy()))


def test_kish_ess():
    assert kish_ess(np.ones(10)) == pytest.approx(10)
    assert kish_ess(np.array([1.0, 3.0])) == pytest.approx(16 / 10)


def test_stabilised_mean_near_one_and_truncation():
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    w, d = ipw_weights(wide, "T1", ["age", "belonging_T0", "qol_T0", "gender"], ["gender"],
                       truncate=None)
    assert d["mean"] == pytest.approx(1.0, abs=0.05)
    wt, dt = ipw_weights(wide, "T1", ["age", "belonging_T0", "qol_T0", "gender"], ["gender"],
                         truncate=(0.05, 0.95))
    vals, raw = wt.dropna(), w.dropna()
    assert vals.max() == pytest.approx(np.quantile(raw, 0.95)) and vals.min() == pytest.approx(np.quantile(raw, 0.05))
    assert dt["n_truncated"] == ((raw < np.quantile(raw, 0.05)) | (raw > np.quantile(raw, 0.95))).sum()


def test_balance_improves_on_simulated_mar():
    rng = np.random.default_rng(11)
    n = 2000
    x = rng.normal(size=n)
    z = rng.binomial(1, 0.4, size=n)
    r = rng.random(n) < 1 / (1 + np.exp(-(-1 + 1.0 * x - 0.8 * z)))
    d = pd.DataFrame({"x": x, "z": z, "responded_T1": r})
    _, diag = ipw_weights(d, "T1", ["x", "z"], truncate=None)
    b = diag["balance"].set_index("variable")
    assert (b["smd_unweighted"].abs() > 0.2).all()
    assert (b["smd_weighted"].abs() < 0.1).all()  # Austin's (2009) mark of good balance
    assert (b["smd_weighted"].abs() < b["smd_unweighted"].abs() / 3).all()
    assert diag["ess"] < diag["n_weighted"]


def test_not_estimable_passes_status_through():
    d = _groups().assign(responded_T1=False)
    w, diag = ipw_weights(d, "T1", ["g"])
    assert w.isna().all() and diag["status"] == "not_estimable"
    assert diag["message"].startswith("IPW not computed")


def test_fewer_than_min_events_retained_gives_no_weights():
    w, diag = ipw_weights(_groups(), "T1", ["g"])  # 7 retained < 10
    assert w.isna().all() and diag["status"] == "not_estimable" and diag["n_weighted"] == 0
    assert diag["message"].startswith("IPW not computed") and "Peduzzi" in diag["message"]
    # audit case c04a: one person retained
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    one = wide.assign(responded_T2=False)
    one.loc[one.index[0], "responded_T2"] = True
    w, diag = ipw_weights(one, "T2", ["age", "belonging_T0", "qol_T0", "gender"], ["gender"])
    assert w.isna().all() and diag["status"] == "not_estimable"
    assert np.isnan(diag["mean"]) and diag["balance"].empty


def test_bad_truncation():
    with pytest.raises(ValueError, match="truncate"):
        ipw_weights(_groups(), "T1", ["g"], truncate=(0.9, 0.1))
