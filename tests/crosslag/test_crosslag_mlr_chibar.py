"""Robust (MLR) cross-lagged fits and the chi-bar-square CLPM vs RI-CLPM test against lavaan.

Reference: ``Rscript tests/fixtures/crosslag/crosslag_reference.R`` (repository root) writes
``crosslag_reference.json``: on tests/fixtures/lavaan/panel_proper.csv (belonging x loneliness,
T0-T2, pipeline-like attrition), the pipeline's own CLPM / RI-CLPM syntax fitted by
``lavaan(..., missing = "ml", fixed.x = FALSE, estimator = "MLR")`` (lagged est and robust SE),
and ``T <- lavTestLRT(clpm_ml, riclpm_ml)`` referred to
``sum(w * pchisq(T, 0:3, lower.tail = FALSE))`` with ``w = c(2 - sqrt(2), sqrt(2), sqrt(2),
2 - sqrt(2)) / 4`` (2 x 2 random-intercept covariance matrix on the boundary).
Tolerances: estimates 1e-3 absolute, SEs 1% relative (as tests/sem/test_lavaan_reference.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.crosslag.comparison import clpm_vs_riclpm
from pipeline.crosslag.models import clpm_syntax, fit_crosslag, riclpm_syntax

FIX = Path(__file__).resolve().parents[1] / "fixtures"
REF = json.loads((FIX / "crosslag" / "crosslag_reference.json").read_text())
C2, W3 = ["belonging", "loneliness"], ["T0", "T1", "T2"]
TH = {"min_df": 5, "min_n_last": 100}


@pytest.fixture(scope="module")
def fits():
    wide = pd.read_csv(FIX / "lavaan" / "panel_proper.csv")
    return {m: fit_crosslag(wide, C2, W3, m, se="robust", **TH) for m in ("clpm", "riclpm")}


def test_reference_uses_the_pipelines_syntax():
    models = FIX / "lavaan" / "models"
    assert (models / "riclpm_2x3.lav").read_text() == riclpm_syntax(C2, W3)
    assert (models / "clpm_2x3.lav").read_text() == clpm_syntax(C2, W3)


@pytest.mark.parametrize("model", ["clpm", "riclpm"])
def test_lagged_effects_with_mlr_standard_errors_match_lavaan(fits, model):
    res = fits[model]
    assert res.ok and res.options["se"] == "robust"
    ours = res.estimates[res.estimates["op"] == "~"].set_index(["lhs", "rhs"])
    ref = pd.DataFrame(REF[f"{model}_mlr"])
    assert len(ref) == 8  # 2 constructs x 2 predictors x 2 lags
    for r in ref.itertuples():
        row = ours.loc[(r.lhs, r.rhs)]
        assert row["est"] == pytest.approx(r.est, abs=1e-3)
        assert row["se"] == pytest.approx(r.se, rel=0.01)


def test_clpm_vs_riclpm_chibar_pvalue_matches_r(fits):
    row = clpm_vs_riclpm(fits["clpm"], fits["riclpm"], 2)
    lr = REF["lr"]
    assert row["status"] == "ok" and row["df_diff"] == lr["df_diff"] == 3
    assert row["chisq_diff"] == pytest.approx(lr["chisq_diff"], abs=1e-3)
    assert row["pvalue_chi2"] == pytest.approx(lr["pvalue_chi2"], rel=1e-3)
    assert row["pvalue"] == pytest.approx(lr["pvalue_chibar"], rel=1e-3)
    assert row["pvalue"] < row["pvalue_chi2"]
    assert "0.146 chi2_0 + 0.354 chi2_1 + 0.354 chi2_2 + 0.146 chi2_3" in row["reference"]
