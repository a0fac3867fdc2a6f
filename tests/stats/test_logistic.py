"""Tests for pipeline/stats/logistic.py.

Reference: tests/fixtures/attrition/attrition_reference.R (R glm(family = binomial) with
confint.default; brglm2 type = "AS_mean" for Firth) on the data made by make_data.R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.stats.logistic import (
    MIN_EVENTS,
    coefficient_table,
    design_matrix,
    firth_logit,
    fit_logistic,
    separation_direction,
)
from pipeline.status import Status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
PRED = ["age", "belonging_T0", "qol_T0", "gender"]


def _fit(data, outcome, predictors, categorical=(), firth=True, **kw):
    x, notes = design_matrix(data, predictors, categorical)
    y = data.loc[x.index, outcome].astype(float).to_numpy()
    return fit_logistic(x, y, firth_on_separation=firth, notes=notes, **kw)


@pytest.mark.parametrize("wave", ["T1", "T2"])
def test_glm_matches_r(wave):
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    fit = _fit(wide, f"responded_{wave}", PRED, ["gender"])
    ref = pd.read_csv(FIX / f"glm_{wave}.csv")
    assert fit.status == Status.OK and fit.method == "logit" and fit.n == ref["n"].iloc[0]
    table = coefficient_table(fit)
    for col in ["est", "se", "z", "pvalue", "odds_ratio", "ci_lower", "ci_upper"]:
        np.testing.assert_allclose(table[col], ref[col], rtol=1e-6, err_msg=col)
    np.testing.assert_allclose(fit.fitted(), 1 / (1 + np.exp(-fit.x.to_numpy() @ fit.beta)))


def test_firth_under_separation_matches_brglm2():
    sep = pd.read_csv(FIX / "separation.csv")
    fit = _fit(sep, "retained", ["x", "g"], ["g"])
    ref = pd.read_csv(FIX / "firth_separation.csv")
    assert fit.status == Status.OK and fit.method == "firth" and fit.separating == ("g[B]",)
    table = coefficient_table(fit)
    for col in ["est", "se", "odds_ratio", "ci_lower", "ci_upper"]:
        np.testing.assert_allclose(table[col], ref[col], rtol=1e-5, err_msg=col)
    off = _fit(sep, "retained", ["x", "g"], ["g"], firth=False)
    assert off.status == Status.NOT_ESTIMABLE and off.problem == "separation"
    assert off.beta is None
    with pytest.raises(ValueError):
        off.fitted()


def test_separation_detection_and_firth_on_complete_separation():
    x = np.column_stack([np.ones(6), [1.0, 2, 3, 4, 5, 6]])
    assert separation_direction(x, np.array([0, 0, 0, 1, 1, 1.0])) is not None  # complete
    assert separation_direction(x, np.array([0, 0, 1, 0, 1, 1.0])) is None  # overlap
    b, cov, ok = firth_logit(x, np.array([0, 0, 0, 1, 1, 1.0]))
    assert ok and np.all(np.isfinite(b)) and np.all(np.diag(cov) > 0)


def test_events_rule_counts_the_rarer_group():
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    w = wide.assign(y=True)
    w.loc[w.index[:9], "y"] = False  # 9 lost
    fit = _fit(w, "y", ["age"])
    assert fit.status == Status.NOT_ESTIMABLE and fit.problem == "too_few_events"
    assert fit.rarer == 9 and MIN_EVENTS == 10
    w.loc[w.index[9], "y"] = False  # exactly 10: fitted, with the events-per-predictor flag
    fit = _fit(w, "y", PRED, ["gender"])
    assert fit.status == Status.OK and fit.low_epv
    assert _fit(w, "y", ["age"], min_events=11).problem == "too_few_events"


def test_no_contrast_collinear_and_dropped_columns():
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    assert _fit(wide.assign(y=0), "y", ["age"]).problem == "no_contrast"
    assert _fit(wide.assign(age2=wide["age"] * 2), "responded_T1",
                ["age", "age2"]).problem == "collinear"
    fit = _fit(wide.assign(site=1.0, empty=np.nan), "responded_T1", ["age", "site", "empty"])
    assert fit.status == Status.OK and list(fit.x.columns) == ["Intercept", "age"]
    assert any("'empty' is missing for everyone" in n for n in fit.notes)
    assert any("'site' did not vary" in n for n in fit.notes)


def test_design_matrix_reference_level_and_complete_cases():
    d = pd.DataFrame({"a": [1.0, 2, np.nan, 4], "g": ["b", "a", "a", "c"]})
    x, notes = design_matrix(d, ["a", "g"], ["g"])
    assert list(x.columns) == ["Intercept", "a", "g[b]", "g[c]"] and list(x.index) == [0, 1, 3]
    assert notes == []
    with pytest.raises(DataError, match="'zz'"):
        design_matrix(d, ["zz"])
