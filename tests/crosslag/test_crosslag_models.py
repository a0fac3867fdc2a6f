"""pipeline.crosslag.models: CLPM / RI-CLPM syntax, fits against the lavaan fixtures, lagged-effect
tables, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.crosslag.models import (
    clpm_syntax,
    fit_crosslag,
    lagged_effects,
    model_syntax,
    riclpm_syntax,
)
from pipeline.errors import DataError, ModelError

LAV = Path(__file__).resolve().parents[1] / "fixtures" / "lavaan"
C2, W3 = ["belonging", "loneliness"], ["T0", "T1", "T2"]
# the schema defaults of crosslag.exploratory_min_df / exploratory_min_n_last_wave
TH = {"min_df": 5, "min_n_last": 100}


def _ref(name):
    est = pd.DataFrame(json.loads((LAV / "reference" / f"{name}.json").read_text())["estimates"])
    return est, json.loads((LAV / "reference" / f"{name}.json").read_text())["fit"]


@pytest.fixture(scope="module")
def attrition():
    return pd.read_csv(LAV / "panel_attrition.csv")


@pytest.fixture(scope="module")
def clpm_fit(attrition):
    return fit_crosslag(attrition, C2, W3, "clpm", **TH)


def test_builders_emit_the_syntax_fitted_by_lavaan_in_the_fixtures():
    models = LAV / "models"
    assert clpm_syntax(C2, W3) == (models / "clpm_2x3.lav").read_text()
    assert clpm_syntax(C2, W3, stationary=True) == (models / "clpm_2x3_stationary.lav").read_text()
    assert riclpm_syntax(C2, W3) == (models / "riclpm_2x3.lav").read_text()
    assert riclpm_syntax(C2, W3, covariates=["age"]) == (models / "riclpm_2x3_age.lav").read_text()
    c3, w4 = ["belonging", "loneliness", "qol"], ["T0", "T1", "T2", "T3"]
    assert riclpm_syntax(c3, w4) == (models / "riclpm_3x4.lav").read_text()


def test_clpm_fit_matches_lavaan(clpm_fit):
    ref, fit = _ref("clpm_2x3_fiml")
    est = clpm_fit.estimates.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_ref"))
    assert len(est) == len(ref)
    np.testing.assert_allclose(est["est"], est["est_ref"], atol=1e-3)
    np.testing.assert_allclose(est["se"], est["se_ref"], rtol=0.01)
    assert clpm_fit.fit["chisq"] == pytest.approx(fit["chisq"], abs=1e-3)


def test_small_last_wave_and_small_df_are_flagged_exploratory(clpm_fit):
    assert clpm_fit.exploratory
    assert "df = 4" in clpm_fit.note and "81 participants observed at T2" in clpm_fit.note


def test_riclpm_fit_matches_lavaan_and_reports_improper_solution(attrition):
    res = fit_crosslag(attrition, C2, W3, "riclpm", **TH)
    ref, _ = _ref("riclpm_2x3_fiml")
    est = res.estimates.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_ref"))
    np.testing.assert_allclose(est["est"], est["est_ref"], atol=1e-3)
    assert res.status == "improper_solution"


def test_riclpm_refuses_two_waves(attrition):
    with pytest.raises(ModelError, match="at least 3 waves"):
        riclpm_syntax(C2, ["T0", "T1"])
    with pytest.raises(ModelError, match="at least 3 waves"):
        fit_crosslag(attrition, C2, ["T0", "T1"], "riclpm", **TH)
    with pytest.raises(ModelError, match="at least 2 waves"):
        clpm_syntax(C2, ["T0"])


def test_missing_columns_and_bad_model_name(attrition):
    with pytest.raises(DataError, match="support_T0"):
        fit_crosslag(attrition, ["support"], W3, **TH)
    with pytest.raises(ModelError, match="clpm"):
        fit_crosslag(attrition, C2, W3, "gclm", **TH)


def test_lagged_effects_table(clpm_fit):
    tab = lagged_effects(clpm_fit, C2, W3)
    assert len(tab) == 8
    assert (tab["type"] == "autoregressive").sum() == 4
    row = tab[(tab["from"] == "loneliness") & (tab["to"] == "belonging")
              & (tab["from_wave"] == "T1")].iloc[0]
    ref, _ = _ref("clpm_2x3_fiml")
    r = ref[(ref.lhs == "belonging_T2") & (ref.op == "~") & (ref.rhs == "loneliness_T1")].iloc[0]
    assert row["type"] == "cross-lagged" and row["to_wave"] == "T2"
    assert row["est"] == pytest.approx(r["est"], abs=1e-3)
    assert row["std_all"] == pytest.approx(r["std_all"], abs=1e-3)


def test_lagged_effects_refuses_failed_fit(attrition):
    res = fit_crosslag(attrition, C2, W3, "riclpm", **TH)
    with pytest.raises(ModelError, match="improper_solution"):
        lagged_effects(res, C2, W3)


def test_riclpm_with_time_invariant_covariate_matches_lavaan(attrition):
    res = fit_crosslag(attrition, C2, W3, "riclpm", covariates=["age"], **TH)
    ref, fit = _ref("riclpm_2x3_age_fiml")
    est = res.estimates.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_ref"))
    assert len(est) == len(ref) and res.n_obs == 630  # rows with only age are kept
    np.testing.assert_allclose(est["est"], est["est_ref"], atol=1e-3)
    assert res.fit["chisq"] == pytest.approx(fit["chisq"], abs=1e-3)


def test_well_supported_fit_is_not_exploratory_and_thresholds_are_configurable():
    wide = pd.read_csv(LAV / "panel_moderate.csv")
    c3, w4 = ["belonging", "loneliness", "qol"], ["T0", "T1", "T2", "T3"]
    res = fit_crosslag(wide, c3, w4, "riclpm", **TH)
    assert res.status == "ok" and not res.exploratory and res.note == ""
    strict = fit_crosslag(wide, c3, w4, "riclpm", min_df=30, min_n_last=500)
    assert strict.exploratory and "df = 21" in strict.note and "442 participants" in strict.note


def test_model_syntax_dispatches_and_refuses_clpm_covariates():
    assert model_syntax("clpm", C2, W3, stationary=True) == clpm_syntax(C2, W3, stationary=True)
    assert model_syntax("riclpm", C2, W3, covariates=["age"]) == riclpm_syntax(
        C2, W3, covariates=["age"])
    with pytest.raises(ModelError, match="RI-CLPM only"):
        model_syntax("clpm", C2, W3, covariates=["age"])
    with pytest.raises(ModelError, match="clpm"):
        model_syntax("lgcm", C2, W3)


def test_thresholds_have_no_hidden_default(attrition):
    with pytest.raises(TypeError, match="min_df"):
        fit_crosslag(attrition, C2, W3, "clpm")
