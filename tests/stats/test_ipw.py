"""Tests for pipeline/stats/ipw.py (inverse-probability-of-retention weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.stats.ipw import ipw_weights, kish_ess
from pipeline.stats.logistic import design_matrix, fit_logistic
from pipeline.status import Status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
PRED = ["age", "belonging_T0", "qol_T0", "gender"]


def _model(d, predictors, categorical=(), outcome="responded_T1", firth=True, **kw):
    x, notes = design_matrix(d, predictors, categorical)
    y = d.loc[x.index, outcome].astype(float).to_numpy()
    return fit_logistic(x, y, firth_on_separation=firth, notes=notes, **kw)


def _weights(d, predictors, categorical=(), *, stabilised=True, truncate=(0.01, 0.99),
             outcome="responded_T1", **kw):
    return ipw_weights(_model(d, predictors, categorical, outcome, **kw), d.index,
                       stabilised=stabilised, truncate=truncate)


def _groups() -> pd.DataFrame:
    # g = 0: 10 people, 5 retained (p = 1/2); g = 1: 8 people, 2 retained (p = 1/4).
    g = [0] * 10 + [1] * 8
    r = [True] * 5 + [False] * 5 + [True] * 2 + [False] * 6
    return pd.DataFrame({"g": g, "responded_T1": r})


def test_hand_checkable_saturated_model():
    d = _groups()  # 7 retained: below the default minimum of 10 events, so lower it here
    w, diag = _weights(d, ["g"], stabilised=False, truncate=None, min_events=5)
    assert diag["status"] == Status.OK
    np.testing.assert_allclose(w[d["responded_T1"]], [2.0] * 5 + [4.0] * 2, rtol=1e-8)
    assert w[~d["responded_T1"]].isna().all()
    ws, diag_s = _weights(d, ["g"], stabilised=True, truncate=None, min_events=5)
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
    w, d = _weights(wide, PRED, ["gender"], truncate=None)
    assert d["mean"] == pytest.approx(1.0, abs=0.05)
    wt, dt = _weights(wide, PRED, ["gender"], truncate=(0.05, 0.95))
    vals, raw = wt.dropna(), w.dropna()
    assert vals.max() == pytest.approx(np.quantile(raw, 0.95))
    assert vals.min() == pytest.approx(np.quantile(raw, 0.05))
    assert dt["n_truncated"] == ((raw < np.quantile(raw, 0.05))
                                 | (raw > np.quantile(raw, 0.95))).sum()


def test_balance_improves_on_simulated_mar():
    rng = np.random.default_rng(11)
    n = 2000
    x = rng.normal(size=n)
    z = rng.binomial(1, 0.4, size=n)
    r = rng.random(n) < 1 / (1 + np.exp(-(-1 + 1.0 * x - 0.8 * z)))
    d = pd.DataFrame({"x": x, "z": z, "responded_T1": r})
    _, diag = _weights(d, ["x", "z"], truncate=None)
    b = diag["balance"].set_index("variable")
    assert (b["smd_unweighted"].abs() > 0.2).all()
    assert (b["smd_weighted"].abs() < 0.1).all()  # Austin's (2009) mark of good balance
    assert (b["smd_weighted"].abs() < b["smd_unweighted"].abs() / 3).all()
    assert diag["ess"] < diag["n_weighted"]


def test_not_estimable_model_gives_no_weights():
    d = _groups().assign(responded_T1=False)
    w, diag = _weights(d, ["g"])
    assert w.isna().all() and diag["status"] == Status.NOT_ESTIMABLE
    assert diag["n_weighted"] == 0 and diag["balance"].empty and np.isnan(diag["mean"])
    w, diag = _weights(_groups(), ["g"])  # 7 retained < 10 events
    assert w.isna().all() and diag["status"] == Status.NOT_ESTIMABLE


def test_weights_follow_the_fitted_model_under_separation():
    """No refit: the weights take the model's Firth / not-estimable decision as it is."""
    sep = pd.read_csv(FIX / "separation.csv").assign(
        responded_T1=lambda t: t["retained"].astype(bool))
    firth = _model(sep, ["x", "g"], ["g"], firth=True)
    w, diag = ipw_weights(firth, sep.index, stabilised=True, truncate=None)
    assert firth.method == "firth" and diag["method"] == "firth" and diag["status"] == Status.OK
    p = firth.fitted()[firth.y == 1]
    np.testing.assert_allclose(w.dropna(), firth.y.mean() / p)
    off = _model(sep, ["x", "g"], ["g"], firth=False)
    w, diag = ipw_weights(off, sep.index, stabilised=True, truncate=None)
    assert diag["status"] == Status.NOT_ESTIMABLE and w.isna().all()


def test_bad_truncation():
    with pytest.raises(ValueError, match="truncate"):
        _weights(_groups(), ["g"], truncate=(0.9, 0.1), min_events=5)
