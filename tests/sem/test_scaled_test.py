"""The MLR scaled chi-square and the Satorra-Bentler (2001) scaled difference
(pipeline/sem/scaled_test.py) against lavaan 0.6-14.

Single-group references (tests/fixtures/comparison_arms/make_scaled_tests.R, scaled_tests.csv)::

    opts <- list(missing = "ml", fixed.x = FALSE, meanstructure = TRUE, em.h1.tol = 1e-12,
                 em.h1.iter.max = 200000, estimator = "MLR")
    fit <- do.call("sem", c(list(model = readLines("models/clpm_2x3.lav"),
                                 data = read.csv("panel_attrition.csv")), opts))
    fitMeasures(fit, c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled"))
    # the same for models/cfa_2f.lav on items_missing.csv (tests/fixtures/lavaan), and
    stationary <- <the same with models/clpm_2x3_stationary.lav>
    lavTestLRT(stationary, fit)        # MLR: method = "satorra.bentler.2001"

Tolerance 1e-5 relative (measured 4e-7: the saturated model's EM tolerance). The multi-group
models and the scaled differences are held to lavaan in
tests/comparison/test_comparison_armfits.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ModelError
from pipeline.sem.fiml import loglik_and_gradient, split_patterns
from pipeline.sem.scaled_test import (
    h1_trace,
    model_trace,
    saturated_hessian,
    sb2001_difference,
    scaled_chisq_sem,
    scaled_lr_test_sem,
    scaled_statistic,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SCALED = FIX / "comparison_arms" / "scaled_tests.csv"


def case_inputs(name: str) -> tuple[str, pd.DataFrame]:
    """(syntax, data) of a tests/fixtures/lavaan case (as tests/sem/conftest.py reads them)."""
    cases = json.loads((FIX / "lavaan" / "cases.json").read_text())["cases"]
    case = next(c for c in cases if c["name"] == name)
    return ((FIX / "lavaan" / "models" / case["syntax"]).read_text(),
            pd.read_csv(FIX / "lavaan" / case["data"]))


@pytest.mark.parametrize("case,analysis", [("clpm_2x3_fiml_mlr", "clpm_2x3_single"),
                                           ("cfa_2f_fiml_mlr", "cfa_2f_single")])
def test_single_group_scaled_chisq_matches_fitmeasures(fitted, case, analysis):
    ref = pd.read_csv(SCALED).set_index(["analysis", "model"]).loc[(analysis, "single")]
    res = fitted(case)
    syntax, data = case_inputs(case)
    got = scaled_chisq_sem(res, syntax, data)
    assert res.fit["df"] == ref["df"]
    assert got["chisq.scaling.factor"] == pytest.approx(ref["scaling_factor"], rel=1e-5)
    assert got["chisq.scaled"] == pytest.approx(ref["chisq_scaled"], rel=1e-5)
    assert got["pvalue.scaled"] == pytest.approx(ref["pvalue_scaled"], rel=1e-5)


def test_single_group_scaled_difference_matches_lavtestlrt(fitted):
    ref = pd.read_csv(SCALED).set_index(["analysis", "model"]).loc["clpm_2x3_stationary_single"]
    free, stationary = fitted("clpm_2x3_fiml_mlr"), fitted("clpm_2x3_stationary_fiml")
    syntax, data = case_inputs("clpm_2x3_fiml_mlr")
    syntax0, _ = case_inputs("clpm_2x3_stationary_fiml")
    out = scaled_lr_test_sem(stationary, free, syntax0, syntax, data)
    sb = ref.loc["sb2001"]
    assert out["chisq_diff"] == pytest.approx(sb["chisq"], rel=1e-5)
    assert out["df_diff"] == sb["df"] == 4
    assert out["pvalue"] == pytest.approx(sb["pvalue_scaled"], rel=1e-5)
    assert out["scaling_factor"] == pytest.approx(sb["scaling_factor"], rel=1e-5)
    assert out["scaling_restricted"] == pytest.approx(ref.loc["equal", "scaling_factor"],
                                                      rel=1e-5)
    with pytest.raises(ModelError, match="not more restricted"):
        scaled_lr_test_sem(free, stationary, syntax, syntax0, data)


def _moments_grad(pdat, p):
    vr, vc = np.triu_indices(p)

    def grad(v):
        sig = np.zeros((p, p))
        sig[vr, vc] = sig[vc, vr] = v[p:]
        return loglik_and_gradient(sig, v[:p], pdat)[1]

    return grad


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(2, 4), miss=st.floats(0.0, 0.3))
def test_saturated_hessian_is_the_derivative_of_the_gradient(seed, p, miss):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, p)) @ rng.normal(size=(p, p))
    x[rng.random(x.shape) < miss] = np.nan
    pdat = split_patterns(x)
    mu = rng.normal(size=p)
    a = rng.normal(size=(p, p))
    sig = a @ a.T + p * np.eye(p)
    hess = saturated_hessian(sig, mu, pdat)
    grad = _moments_grad(pdat, p)
    vr, vc = np.triu_indices(p)
    v0 = np.concatenate([mu, sig[vr, vc]])
    num = np.empty_like(hess)
    for j in range(v0.size):
        h = 1e-5 * max(1.0, abs(v0[j]))
        up, dn = v0.copy(), v0.copy()
        up[j] += h
        dn[j] -= h
        num[:, j] = (grad(up) - grad(dn)) / (2 * h)
    scale = np.abs(hess).max()
    assert np.abs(num - hess).max() <= 1e-6 * scale
    assert np.allclose(hess, hess.T)


def test_a_saturated_model_has_equal_h1_and_h0_traces(fitted):
    """df = 0: the model reproduces the saturated moments, so tr(U Gamma) = 0 (the analytic
    saturated information against the model's numerical one)."""
    from pipeline.sem import fit as single

    rng = np.random.default_rng(3)
    d = pd.DataFrame(rng.normal(size=(200, 3)), columns=["x", "m", "y"])
    d["m"] += 0.5 * d["x"]
    d["y"] += 0.4 * d["m"]
    d.loc[rng.random(200) < 0.2, "y"] = np.nan
    syntax = "m ~ x\ny ~ m + x\n"
    res = single.fit_sem(syntax, d, missing="ml", se="robust")
    assert res.fit["df"] == 0
    _, ram, pdat, _ = single._build_model(syntax, d, res.options, "m")
    mu, sig, _, _ = single._h1(pdat)
    h1, h0 = h1_trace(pdat, mu, sig), model_trace(ram, res.theta, pdat)
    assert h1 == pytest.approx(h0, rel=1e-6)
    assert h1 > 0


def test_scaled_statistic_follows_lavaan_for_df_zero_and_negative_traces():
    ok = scaled_statistic(12.0, 4, 6.0)
    assert ok["chisq.scaling.factor"] == 1.5 and ok["chisq.scaled"] == 8.0
    zero = scaled_statistic(1e-12, 0, np.nan)
    assert np.isnan(zero["chisq.scaling.factor"]) and zero["chisq.scaled"] == 1e-12
    neg = scaled_statistic(12.0, 4, -1.0)
    assert np.isnan(neg["chisq.scaling.factor"]) and np.isnan(neg["chisq.scaled"])


def _m(chisq, df, c):
    return {"chisq": chisq, "df": df, "chisq.scaling.factor": c}


def test_sb2001_is_lavaans_formula():
    out = sb2001_difference(_m(20.0, 12, 0.9), _m(9.0, 8, 1.1))
    cd = (12 * 0.9 - 8 * 1.1) / 4
    assert out["scaling_factor"] == pytest.approx(cd)
    assert out["chisq_diff"] == pytest.approx(11.0 / cd)
    assert out["df_diff"] == 4 and out["message"] == ""
    # a saturated free model counts as c1 = 1 (its NaN factor is not used)
    sat = sb2001_difference(_m(15.0, 6, 1.2), _m(0.0, 0, np.nan))
    assert sat["chisq_diff"] == pytest.approx(15.0 / 1.2)


def test_sb2001_negative_or_missing_scaling_is_no_test_with_a_reason():
    neg = sb2001_difference(_m(20.0, 10, 0.5), _m(9.0, 8, 1.5))
    assert np.isnan(neg["chisq_diff"]) and np.isnan(neg["pvalue"])
    assert "negative" in neg["message"]
    missing = sb2001_difference(_m(20.0, 10, np.nan), _m(9.0, 8, 1.5))
    assert np.isnan(missing["chisq_diff"]) and "could not be computed" in missing["message"]
    with pytest.raises(ValueError, match="not more restricted"):
        sb2001_difference(_m(9.0, 8, 1.0), _m(20.0, 10, 1.0))
