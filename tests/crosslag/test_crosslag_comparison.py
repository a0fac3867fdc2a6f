"""pipeline.crosslag.comparison: LR tests of nested cross-lagged fits (lavaan lavTestLRT)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from pipeline.crosslag.comparison import clpm_vs_riclpm, compare_stationarity
from pipeline.crosslag.models import fit_crosslag

LAV = Path(__file__).resolve().parents[1] / "fixtures" / "lavaan"
C2, W3 = ["belonging", "loneliness"], ["T0", "T1", "T2"]
TH = {"min_df": 5, "min_n_last": 100}


@pytest.fixture(scope="module")
def attrition():
    return pd.read_csv(LAV / "panel_attrition.csv")


@pytest.fixture(scope="module")
def clpm_fits(attrition):
    return (fit_crosslag(attrition, C2, W3, "clpm", False, **TH),
            fit_crosslag(attrition, C2, W3, "clpm", True, **TH))


def test_stationarity_comparison_matches_lavTestLRT(clpm_fits):
    row = compare_stationarity(*clpm_fits)
    ref = json.loads((LAV / "reference" / "lr_tests.json").read_text())[0]
    assert row["status"] == "ok" and row["message"] == ""
    assert row["chisq_diff"] == pytest.approx(ref["chisq_diff"], abs=1e-3)
    assert row["df_diff"] == ref["df_diff"]
    assert row["pvalue"] == pytest.approx(ref["pvalue"], abs=1e-4)


def test_a_failed_fit_gives_no_test_and_names_the_free_model_first(clpm_fits):
    free, stat = clpm_fits
    bad_free = replace(free, status="improper_solution", message="free is improper")
    bad_stat = replace(stat, status="not_converged", message="stationary did not converge")
    row = compare_stationarity(bad_free, bad_stat)
    assert row["status"] == "not_estimable" and row["message"] == "free is improper"
    assert row["chisq_diff"] is None and row["pvalue"] is None
    assert compare_stationarity(free, bad_stat)["message"] == "stationary did not converge"
    assert "could not be fitted" in compare_stationarity(free, None)["message"]


def test_fits_on_different_cases_are_not_compared(clpm_fits):
    free, stat = clpm_fits
    row = compare_stationarity(free, replace(stat, n_obs=stat.n_obs - 1))
    assert row["status"] == "not_estimable" and "same cases" in row["message"]


def test_clpm_vs_riclpm_is_the_lr_test_with_the_boundary_caveat():
    wide = pd.read_csv(LAV / "panel_proper.csv")
    clpm = fit_crosslag(wide, C2, W3, "clpm", **TH)
    riclpm = fit_crosslag(wide, C2, W3, "riclpm", **TH)
    row = clpm_vs_riclpm(clpm, riclpm, 2)
    assert row["status"] == "ok"
    assert row["chisq_diff"] == pytest.approx(clpm.fit["chisq"] - riclpm.fit["chisq"])
    assert row["df_diff"] == 3  # 2 RI variances + 1 covariance
    assert "conservative" in row["message"] and "Note: df difference" not in row["message"]
    assert "Note: df difference 3 differs from the 6" in clpm_vs_riclpm(clpm, riclpm, 3)["message"]
    failed = clpm_vs_riclpm(clpm, replace(riclpm, status="improper_solution", message="neg var"),
                            2)
    assert failed["status"] == "not_estimable" and failed["message"] == "neg var"
    assert clpm_vs_riclpm(None, riclpm, 2)["message"] == "one of the models was not fitted"
