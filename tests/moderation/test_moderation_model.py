"""The moderation model held to R (lavaan 0.6-14 and lm) on a committed fixture.

Reference: tests/fixtures/moderation/moderation_reference.R simulates n = 500 people shaped like
the clean wide table (loneliness T0/T1 with MAR drop-out, group memberships T0/T1,
identification at T0 with ~6% missing, age, a three-level gender) and fits

    sem("y1 ~ y0 + dx + w + dxw + c_age + c_gender_Man + c_gender_Another_term", data = f,
        estimator = "MLR", missing = "ml", fixed.x = FALSE)
    lm(y1 ~ y0 + dx + w + dxw + c_age + c_gender_Man + c_gender_Another_term, data = cc)

with dx = gm_T1 - gm_T0 and dxw = dx * w from observed values. Checked: every coefficient
(FIML 1e-5 absolute, observed ~3e-7; lm 1e-10) and SE (FIML robust 1e-4 relative, observed
~3e-8; lm 1e-10), the counts (500 with any data; 285 complete cases), that the robust SEs are
not the model-based ones, and the refusals (too few people, a moderator that does not vary).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from moderation_helpers import FIX

from pipeline.errors import DataError
from pipeline.moderation.model import fit_fiml, fit_ols, model_frame
from pipeline.sem import fit_sem

REF = pd.read_csv(FIX / "reference_estimates.csv")


@pytest.mark.parametrize("fitter,atol,rtol", [(fit_fiml, 1e-5, 1e-4), (fit_ols, 1e-10, 1e-10)])
def test_coefficients_and_ses_match_r(wide, analysis, fitter, atol, rtol):
    fit = fitter(wide, analysis, 10)
    ref = REF[REF["method"] == fit.method].set_index("term")
    assert set(fit.terms) == set(ref.index)
    r = ref.loc[list(fit.terms)]
    np.testing.assert_allclose(fit.est, r["est"], atol=atol, rtol=0)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), r["se"], rtol=rtol)
    assert fit.n == int(r["n"].iloc[0])
    if fit.method == "complete_case":
        assert fit.df == r["df"].iloc[0] == 285 - 8


def test_fiml_keeps_everyone_and_uses_robust_ses(wide, analysis):
    fit = fit_fiml(wide, analysis, 10)
    assert fit.n == 500 and fit.df is None
    frame = model_frame(wide, analysis)
    preds = [c for c in frame.columns if c != "y1"]
    plain = fit_sem("y1 ~ " + " + ".join(preds), frame, missing="ml", se="standard")
    se_plain = plain.estimates.set_index(["lhs", "op", "rhs"]).loc[("y1", "~", "dxw"), "se"]
    assert abs(np.sqrt(fit.cov("dxw", "dxw")) / se_plain - 1) > 0.01


def test_product_is_missing_when_either_part_is(wide, analysis):
    f = model_frame(wide, analysis)
    assert (f["dxw"].isna() == (f["dx"].isna() | f["w"].isna())).all()
    ok = f["dxw"].notna()
    np.testing.assert_allclose(f.loc[ok, "dxw"], f.loc[ok, "dx"] * f.loc[ok, "w"])


def test_too_few_people_is_not_estimable_with_a_plain_reason(wide, analysis):
    small = wide.copy()
    small.loc[small.index[30:], "loneliness_T1"] = np.nan
    with pytest.raises(DataError, match="moderation.min_df"):
        fit_ols(small, analysis, 10)
    small.loc[small.index[12:], "loneliness_T1"] = np.nan
    with pytest.raises(DataError, match="people with the outcome"):
        fit_fiml(small, analysis, 10)


def test_a_constant_moderator_is_refused_naming_it(wide, analysis):
    flat = wide.assign(identification_T0=4.0)
    for fitter in (fit_fiml, fit_ols):
        with pytest.raises(DataError, match="identification_T0 does not vary"):
            fitter(flat, analysis, 10)


def test_an_absent_level_loses_its_indicator_with_a_note(wide, analysis):
    no_other = wide.assign(gender=wide["gender"].replace("Another term", "Woman"))
    fit = fit_ols(no_other, analysis, 10)
    assert "c_gender_Another_term" not in fit.terms
    assert any("gender_Another_term" in n for n in fit.notes)


def test_no_predictor_gives_the_moderators_own_association(wide, settings):
    a = replace(settings.analyses[0], predictor=None)
    fit = fit_ols(wide, a, 10)
    assert fit.terms == ("(intercept)", "y0", "w", "c_age", "c_gender_Man",
                         "c_gender_Another_term")
    cc = model_frame(wide, a).dropna()
    X = np.column_stack([np.ones(len(cc)), cc.drop(columns="y1")])
    b = np.linalg.lstsq(X, cc["y1"], rcond=None)[0]
    np.testing.assert_allclose(fit.est, b, atol=1e-10)
