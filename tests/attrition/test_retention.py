"""Tests for pipeline/attrition/retention.py: retained vs lost, the retention model, its weights.

The statistics are tested against R in tests/stats/ (test_contingency, test_logistic, test_ipw);
here: the wing's tables, status rows and messages, and that the IPW weights come from the
retention model as fitted (issue 10: they used to refit it with firth_on_separation = True).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.attrition.retention import (
    BALANCE_COLUMNS,
    IPW_COLUMNS,
    retained_vs_lost,
    retention_model,
    retention_weights,
    sequential_model,
    sequential_weights,
)
from pipeline.attrition.sentences import MIN_EVENTS_RULE
from pipeline.errors import DataError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
PRED = ["age", "belonging_T0", "qol_T0", "gender"]
STATUS_COLUMNS = ["analysis", "method", "status", "message", "n", "n_retained", "n_lost"]


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return pd.read_csv(FIX / "wide_attrition.csv")


def _model(wide, wave="T2", predictors=PRED, categorical=("gender",), firth=True, **kw):
    return retention_model(wide, wave, predictors, categorical, firth_on_separation=firth, **kw)


def _separated() -> pd.DataFrame:
    return pd.read_csv(FIX / "separation.csv").assign(
        responded_T1=lambda t: t["retained"].astype(bool))


def _one_retained(wide: pd.DataFrame) -> pd.DataFrame:
    """Audit case c04a: exactly one person (the first) answered at T2."""
    w = wide.assign(responded_T2=False)
    w.loc[w.index[0], "responded_T2"] = True
    return w


# ----------------------------------------------------------------------------- retained vs lost
def test_retained_vs_lost_descriptives_and_columns():
    d = pd.DataFrame({"age": [20, 30, 40, 50, 60, 70],
                      "responded_T1": [True, True, False, True, False, False]})
    t = retained_vs_lost(d, "T1", ["age"])
    assert list(t.columns[:3]) == ["wave", "variable", "level"] and t.loc[0, "wave"] == "T1"
    assert t.loc[0, "n_retained"] == 3 and t.loc[0, "mean_retained"] == pytest.approx(100 / 3)
    assert t.loc[0, "mean_lost"] == pytest.approx(170 / 3)


def test_retained_vs_lost_refuses_unknown_and_text_variables(wide):
    with pytest.raises(DataError, match="'nope'"):
        retained_vs_lost(wide, "T1", ["nope"])
    with pytest.raises(DataError, match="list it under 'categorical'"):
        retained_vs_lost(wide, "T1", ["gender"])


def test_nobody_retained_comparison_is_nan(wide):
    t = retained_vs_lost(wide.assign(responded_T2=False), "T2", ["age"])
    assert np.isnan(t.loc[0, "smd"]) and np.isnan(t.loc[0, "pvalue"])


# ----------------------------------------------------------------------------- retention model
@pytest.mark.parametrize("wave", ["T1", "T2"])
def test_retention_table_and_status(wide, wave):
    m = _model(wide, wave)
    ref = pd.read_csv(FIX / f"glm_{wave}.csv")
    assert list(m.status) == STATUS_COLUMNS
    assert m.status["status"] == "ok" and m.status["method"] == "logit"
    assert m.status["analysis"] == f"retention_{wave}" and m.status["n"] == ref["n"].iloc[0]
    assert list(m.table.columns) == ["analysis", "lhs", "op", "rhs", "est", "se", "z", "pvalue",
                                     "odds_ratio", "ci_lower", "ci_upper", "method", "n",
                                     "n_retained"]
    np.testing.assert_allclose(m.table["est"], ref["est"], rtol=1e-6)
    assert m.status["message"].startswith(f"Retention model for wave {wave}: logistic regression")


def test_firth_message_names_the_separating_predictor():
    m = retention_model(_separated(), "T1", ["x", "g"], ["g"], firth_on_separation=True)
    assert m.status["status"] == "ok" and m.status["method"] == "firth"
    assert "['g[B]']" in m.status["message"] and "Firth" in m.status["message"]
    assert (m.table["method"] == "firth").all()
    off = retention_model(_separated(), "T1", ["x", "g"], ["g"], firth_on_separation=False)
    assert off.status["status"] == "not_estimable" and off.table.empty
    assert "separation" in off.status["message"] and off.status["method"] == "logit"


def test_nobody_retained_not_estimable(wide):
    m = _model(wide.assign(responded_T2=False))
    assert m.table.empty and m.status["status"] == "not_estimable"
    assert "nobody" in m.status["message"] and "T2" in m.status["message"]


def test_fewer_than_min_events_not_estimable(wide):
    m = _model(_one_retained(wide))
    assert m.table.empty and m.status["status"] == "not_estimable"
    assert m.status["method"] == "logit"  # no Firth fallback either
    msg = m.status["message"]
    assert "fewer than 10" in msg and "were retained" in msg and "Peduzzi" in msg
    assert m.status["n_retained"] == 1
    w = wide.assign(responded_T2=True)
    w.loc[w.index[:9], "responded_T2"] = False  # 9 lost: the rarer group counts
    m = _model(w, predictors=["age"], categorical=())
    assert m.table.empty and "were lost" in m.status["message"]
    w.loc[w.index[9], "responded_T2"] = False  # exactly 10 is allowed, with a warning
    m = _model(w)
    assert m.status["status"] == "ok" and len(m.table)
    assert "fewer than 10 of the rarer outcome per predictor (10 for 5)" in m.status["message"]
    assert _model(w, predictors=["age"], min_events=11).status["status"] == "not_estimable"
    assert "Peduzzi" in MIN_EVENTS_RULE


def test_constant_missing_and_collinear_predictors(wide):
    m = _model(wide.assign(site=1.0, empty=np.nan), "T1", ["age", "site", "empty"], ())
    assert m.status["status"] == "ok" and list(m.table["rhs"]) == ["Intercept", "age"]
    assert "'empty' is missing for everyone" in m.status["message"]
    assert "'site' did not vary" in m.status["message"]
    m = _model(wide.assign(age2=wide["age"] * 2), "T1", ["age", "age2"], ())
    assert m.status["status"] == "not_estimable" and "linear combinations" in m.status["message"]


# ----------------------------------------------------------------------------- IPW weights
def test_ipw_row_and_balance_from_the_model(wide):
    m = _model(wide, "T1")
    w, row, bal = retention_weights(wide, "T1", m, stabilised=True, truncate=(0.01, 0.99))
    assert list(row) == IPW_COLUMNS and list(bal.columns) == BALANCE_COLUMNS
    assert row["status"] == "ok" and row["method"] == "logit" and w.name == "ipw_T1"
    assert row["n_weighted"] == w.notna().sum() == m.status["n_retained"]
    assert row["message"].startswith("Stabilised inverse-probability-of-retention weights for "
                                     "wave T1") and m.status["message"] in row["message"]
    n_missing = int(wide["responded_T1"].sum()) - row["n_weighted"]
    assert f"{n_missing} retained people with a missing predictor" in row["message"]


@pytest.mark.parametrize("firth", [False, True])
def test_ipw_uses_the_fitted_retention_model_on_separated_data(firth):
    """Regression (issue 10): the stage fitted the retention model with the configured
    firth_on_separation, then the IPW refitted it with the default True, so on separated data
    the retention table said not_estimable while Firth-based weights fed the IPW estimate."""
    sep = _separated()
    m = retention_model(sep, "T1", ["x", "g"], ["g"], firth_on_separation=firth)
    w, row, bal = retention_weights(sep, "T1", m, stabilised=True, truncate=None)
    if not firth:
        assert m.status["status"] == "not_estimable" and m.table.empty
        assert row["status"] == "not_estimable" and row["method"] == "logit"
        assert w.isna().all() and row["n_weighted"] == 0 and bal.empty
        assert row["message"] == f"IPW not computed: {m.status['message']}"
    else:
        assert m.status["status"] == "ok" and m.status["method"] == "firth"
        assert row["status"] == "ok" and row["method"] == "firth"
        assert w.notna().sum() == sep["retained"].sum() and len(bal) == 2
        p = 1 / (1 + np.exp(-m.fit.x.to_numpy() @ m.table["est"].to_numpy()))
        retained = m.fit.y == 1
        np.testing.assert_allclose(w.dropna(), retained.mean() / p[retained])


def test_one_retained_gives_no_weights(wide):
    w1 = _one_retained(wide)
    w, row, bal = retention_weights(w1, "T2", _model(w1), stabilised=True, truncate=(0.01, 0.99))
    assert w.isna().all() and row["status"] == "not_estimable"
    assert np.isnan(row["mean"]) and bal.empty and list(bal.columns) == BALANCE_COLUMNS
    assert row["message"].startswith("IPW not computed") and "Peduzzi" in row["message"]


# ----------------------------------------------------------------------------- sequential IPW
def _sequential(wide, **kw):
    first = _model(wide, "T1")
    step = sequential_model(wide, "T2", "T1", ["age", "belonging_T0", "qol_T0"],
                            ["belonging_T1", "qol_T1"], firth_on_separation=True)
    return first, step, sequential_weights(wide, "T2", [first, step], **kw)


def test_sequential_weights_match_r_glm(wide):
    """R: tests/fixtures/attrition/ipw_sequential_reference.R (glm for T1 on everyone, glm for T2
    among the T1 responders with their T1 answers; w = prod(mean(y_j)) / (p1 p2))."""
    ref = pd.read_csv(FIX / "ipw_sequential_ref.csv").set_index("pid")
    for trunc, col in ((None, "w_stab"), ((0.01, 0.99), "w_stab_trunc")):
        first, step, (w, row, balance) = _sequential(wide, stabilised=True, truncate=trunc)
        got = pd.Series(w.to_numpy(), index=wide["pid"]).dropna()
        assert sorted(got.index) == sorted(ref.index)          # 44 people, as in R
        np.testing.assert_allclose(got.loc[ref.index], ref[col], rtol=1e-6)
    assert step.status["analysis"] == "retention_T2_given_T1" and step.status["status"] == "ok"
    assert step.status["n"] == int(wide["responded_T1"].sum()) - int(
        wide.loc[wide["responded_T1"], ["age", "belonging_T0", "qol_T0", "belonging_T1",
                                        "qol_T1"]].isna().any(axis=1).sum())
    assert row["model"] == "sequential" and row["model_sample"] == "responders at T1"
    assert "belonging_T1 + qol_T1" in row["predictors"] and "monotone dropout" in row["message"]
    assert list(row) == IPW_COLUMNS and row["method"] == "logit+logit"
    assert list(balance.columns) == BALANCE_COLUMNS and len(balance) > 0
    _, _, (w_raw, _, _) = _sequential(wide, stabilised=False, truncate=None)
    got = pd.Series(w_raw.to_numpy(), index=wide["pid"]).dropna()
    np.testing.assert_allclose(got.loc[ref.index], ref["w_raw"], rtol=1e-6)


def test_sequential_weights_carry_a_failed_step(wide):
    """A step that is not estimable leaves no weights and says so (same status, no numbers)."""
    w2 = wide.assign(responded_T2=wide["responded_T1"] & False)
    first, step, (w, row, _) = _sequential(w2, stabilised=True, truncate=None)
    assert step.status["status"] == "not_estimable" and row["status"] == "not_estimable"
    assert w.isna().all() and row["n_weighted"] == 0
