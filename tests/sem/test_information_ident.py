"""Identification in ``fit_sem`` (step 6): nearly collinear data are identified, as in lavaan;
models the model or the data cannot identify are still refused.

Reference: tests/fixtures/sem/identification/make_reference.R (lavaan 0.6-14). Regression for a
real case: a saturated FIML model of repeated measures of a stable trait (correlation condition
number ~1500, complete data) was called "not identified" (scaled-information eigenvalue ratio
~5e-7 against a tolerance of 1e-6); lavaan fits it with standard errors and no warning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.sem import fit_sem
from pipeline.sem.estimate import prepare_data
from pipeline.sem.information import (
    ZERO_TOL,
    information_expected,
    invert_information,
    jacobian_null_directions,
    null_directions,
    vcov_warning,
)
from pipeline.sem.partable import build_partable
from pipeline.sem.ram import build_ram
from pipeline.sem.syntax import parse_model

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "sem" / "identification"
SATURATED = (FIX / "saturated.lav").read_text()
UNIDENTIFIED = (FIX / "unidentified.lav").read_text()
CASES = ["complete_ml", "complete_mlr", "missing_ml", "missing_mlr"]


def _data(case: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"collinear_{case.split('_')[0]}.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(FIX / "reference.csv", keep_default_na=False, na_values={"est": [""]})


@pytest.fixture(scope="module")
def checks() -> pd.DataFrame:
    return pd.read_csv(FIX / "checks.csv", keep_default_na=False).set_index(
        ["case", "model", "information"])


@pytest.fixture(scope="module")
def fits() -> dict:
    return {case: fit_sem(SATURATED, _data(case), se="robust" if case.endswith("mlr")
                          else "standard", name=case) for case in CASES}


def test_fixture_is_the_reported_situation():
    """n = 20, 8 variables, correlation condition number ~1500, the old rule's ratio < 1e-6."""
    d = _data("complete")
    assert d.shape == (20, 8) and d.notna().all().all()
    assert 1400 < np.linalg.cond(d.corr().to_numpy()) < 1600
    assert 0 < _data("missing").isna().sum().sum() <= 3
    pt = build_partable(parse_model(SATURATED))
    theta = fit_sem(SATURATED, d, se="standard").theta
    info = information_expected(build_ram(pt), theta, prepare_data(d, pt.ov_names, "ml", "m"))
    sd = np.sqrt(np.diag(info))
    vals = np.linalg.eigvalsh(info / np.outer(sd, sd))
    assert ZERO_TOL < vals[0] / vals[-1] < 1e-6   # identified, yet below the old tolerance


@pytest.mark.parametrize("case", CASES)
def test_collinear_data_fitted_as_lavaan_does(case, fits, reference, checks):
    res = fits[case]
    assert checks.loc[(case, "saturated.lav", "observed"), "se_computed"]
    assert res.status == "ok" and res.message == "" and res.vcov is not None
    ref = reference[reference["case"] == case]
    ours = res.estimates.fillna({"rhs": "", "label": ""})
    m = ref.merge(ours, on=["lhs", "op", "rhs"], suffixes=("_ref", "_ours"), how="outer",
                  indicator=True)
    assert (m["_merge"] == "both").all() and len(m) == len(ref) == 47
    np.testing.assert_allclose(m["est_ours"], m["est_ref"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(m["se_ours"], m["se_ref"], atol=1e-5, rtol=0)


@pytest.mark.parametrize("case", CASES)
def test_lavaans_vcov_warning_is_a_note_not_a_refusal(case, fits, checks):
    """lavaan warns (check.vcov) for MLR: 20 cases, 44 parameters, a rank-20 sandwich."""
    lavaan_warns = "vcov" in checks.loc[(case, "saturated.lav", "observed"), "warnings"]
    ours = [w for w in fits[case].warnings if "not positive definite" in w]
    assert bool(ours) == lavaan_warns == case.endswith("mlr")
    if ours:
        assert "fewer cases than free parameters" in ours[0]
        assert fits[case].status == "ok"


def test_contrast_equals_the_complete_case_mean_change(fits):
    """No missing data: the FIML contrast is the observed mean change, with lavaan's SE."""
    d = _data("complete")
    est = fits["complete_ml"].estimates.set_index("label")
    assert est.loc["d0_3", "est"] == pytest.approx((d["memory_T4"] - d["memory_T1"]).mean(),
                                                   abs=1e-12)


@pytest.mark.parametrize("noise", [0.3, 0.1, 0.03, 0.01])
def test_stable_trait_identified_however_collinear(noise):
    """cond(R) from ~60 to ~5e4 (scaled-information ratio down to ~5e-10): identified, the
    estimates are the sample moments. (Near cond(R) ~ 1e6 the ratio meets lavaan's zero,
    eps^(3/4); there exact singularity and collinearity can no longer be told apart.)"""
    rng = np.random.default_rng(7)
    trait = rng.normal(size=(40, 1))
    d = pd.DataFrame(trait + noise * rng.normal(size=(40, 4)), columns=list("abcd"))
    res = fit_sem("a ~~ b + c + d\nb ~~ c + d\nc ~~ d", d, se="standard", name="trait")
    assert res.status == "ok", res.message
    cov = res.implied["cov"].to_numpy()
    np.testing.assert_allclose(cov, np.cov(d.T, bias=True), rtol=1e-8, atol=1e-12)
    assert np.all(np.isfinite(res.estimates["se"])) and not res.warnings


def test_unidentified_model_refused_though_lavaan_observed_gives_ses(checks):
    """f2 ~ f1 next to f1 ~~ f2: lavaan's numerical observed information hides the singular
    direction (SEs, no warning); its expected information cannot be inverted. Refused here."""
    assert checks.loc[("complete_ml", "unidentified.lav", "observed"), "se_computed"]
    exp = checks.loc[("complete_ml", "unidentified.lav", "expected")]
    assert not exp["se_computed"] and "could not be inverted" in exp["warnings"]
    for information in ("observed", "expected"):
        res = fit_sem(UNIDENTIFIED, _data("complete"), information=information, name="unid")
        assert res.status == "not_identified" and res.vcov is None
        assert "the model is not identified" in res.message
        assert "f2 ~ f1" in res.message and "f1 ~~ f2" in res.message
        assert res.estimates["se"][res.estimates["op"] != "~1"].isna().any()


def test_duplicated_column_under_fiml_still_refused():
    d = _data("missing").assign(memory_copy=lambda x: x["memory_T2"])
    syntax = "\n".join(f"{a} ~~ {b}" for i, a in enumerate(d.columns) for b in d.columns[i + 1:])
    with pytest.raises(DataError, match=r"singular.*memory_T2.*memory_copy"):
        fit_sem(syntax, d, name="copy")


def test_more_free_parameters_than_moments_still_refused():
    res = fit_sem(SATURATED + "memory_T2 ~ memory_T1\n", _data("complete"), name="over")
    assert res.status == "not_identified" and "45 free parameters but only 44" in res.message


def test_pair_never_observed_together_is_named():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(200, 3)) + rng.normal(size=(200, 1))
    d = pd.DataFrame(z, columns=["a", "b", "c"])
    d.loc[:99, "b"] = np.nan
    d.loc[100:, "c"] = np.nan
    res = fit_sem("a ~~ b + c\nb ~~ c", d, name="coverage")
    assert res.status == "not_identified" and res.vcov is None
    assert "these data cannot identify" in res.message and "{b ~~ c}" in res.message
    assert "never observed together" in res.message


def test_jacobian_null_directions():
    names = ["a", "b", "c", "d"]
    delta = np.array([[1.0, 2.0, 0.0, 0.0], [1.0, 2.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    assert jacobian_null_directions(delta, names) == [["d"], ["a", "b"]]
    assert jacobian_null_directions(np.eye(4)[:, :3] * [1e6, 1.0, 1e-6], names[:3]) == []
    # more parameters than moments: the extra directions are null as well
    assert len(jacobian_null_directions(np.ones((1, 2)), names[:2])) == 1


def test_null_directions_use_lavaans_zero_not_a_conditioning_limit():
    info = np.array([[1.0, 1 - 1e-7], [1 - 1e-7, 1.0]])  # ratio 5e-8 (cond(R) ~ 4500 gives it)
    assert null_directions(info, ["a", "b"]) == []
    assert null_directions(info, ["a", "b"], tol=1e-6) == [["a", "b"]]   # the old tolerance


def test_invert_information_follows_rs_solve():
    np.testing.assert_allclose(invert_information(np.diag([1.0, 1e-12])), np.diag([1, 1e12]))
    with pytest.raises(np.linalg.LinAlgError):
        invert_information(np.diag([1.0, 1e-17]))      # rcond below machine epsilon
    with pytest.raises(np.linalg.LinAlgError):
        invert_information(np.ones((2, 2)))


def test_vcov_warning_threshold_is_lavaans():
    assert vcov_warning(np.diag([1.0, 1e-11])) is None
    assert vcov_warning(np.diag([1.0, 1e-13])) == pytest.approx(1e-13)
    assert vcov_warning(np.diag([1.0, -1e-3])) == pytest.approx(-1e-3)
