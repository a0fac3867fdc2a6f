"""fit_sem behaviour beyond the lavaan reference values: options, bad input, honest failure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import LAVAAN_DIR, case_inputs

from pipeline.errors import DataError, ModelError
from pipeline.sem import fit as fit_module
from pipeline.sem import fit_sem, lr_test
from pipeline.sem.estimate import Optimum

CFA = (LAVAAN_DIR / "models" / "cfa_2f.lav").read_text()


@pytest.fixture(scope="module")
def items():
    return pd.read_csv(LAVAAN_DIR / "items_missing.csv")


def _data_with_cov(cov: np.ndarray, n: int, names: list[str]) -> pd.DataFrame:
    """Data whose ML sample covariance is exactly ``cov`` (whitened then coloured noise)."""
    rng = np.random.default_rng(11)
    z = rng.normal(size=(n, len(names)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    return pd.DataFrame(z @ np.linalg.cholesky(cov).T, columns=names)


def test_result_fields(fitted):
    res = fitted("clpm_2x3_fiml")
    assert res.status == "ok" and res.ok and res.message == ""
    assert list(res.estimates.columns) == ["lhs", "op", "rhs", "label", "est", "se", "z",
                                           "pvalue", "ci_lower", "ci_upper", "std_all",
                                           "std_all_se"]
    assert res.vcov.shape == (23, 23) and len(res.free_names) == 23
    assert res.n_dropped == 2 and "2 row(s)" in res.warnings[0]
    assert res.implied["cov"].shape == (6, 6)
    assert res.options["information"] == "observed"
    assert res.status_row() == {"analysis": "clpm_2x3_fiml", "status": "ok", "message": ""}


def test_listwise_uses_complete_cases_and_expected_information(items):
    res = fit_sem(CFA, items, missing="listwise")
    assert res.n_obs == int(items.notna().all(axis=1).sum())
    assert res.options["information"] == "expected"
    assert res.n_patterns == 1


def test_meanstructure_false_drops_intercepts_and_their_parameters():
    syntax, data, kw = case_inputs("mediation_serial3_complete")
    full = fit_sem(syntax, data, **kw)
    nomean = fit_sem(syntax, data, **{**kw, "name": "nomean"}, meanstructure=False)
    assert not (nomean.estimates["op"] == "~1").any()
    assert nomean.fit["npar"] == full.fit["npar"] - 5
    assert nomean.fit["chisq"] == pytest.approx(full.fit["chisq"], abs=1e-8)
    with pytest.raises(ModelError, match="mean structure"):
        fit_sem(syntax, data, meanstructure=False, missing="ml")


def test_missing_column_named_with_suggestion(items):
    with pytest.raises(DataError, match=r"cfa.*\['lon9'\].*lon1"):
        fit_sem("f =~ cb1 + cb2 + lon9", items, name="cfa")


def test_non_numeric_column_refused(items):
    bad = items.assign(cb1=items["cb1"].astype(str))
    with pytest.raises(DataError, match="not numeric"):
        fit_sem(CFA, bad)


def test_bad_options_refused(items):
    with pytest.raises(ModelError, match="missing"):
        fit_sem(CFA, items, missing="pairwise")
    with pytest.raises(ModelError, match="information"):
        fit_sem(CFA, items, information="hessian")
    with pytest.raises(ModelError, match="se must"):
        fit_sem(CFA, items, se="bootstrap")


def test_more_parameters_than_moments_is_not_identified(items):
    res = fit_sem("f =~ NA*cb1 + cb2\nf ~~ f", items, name="tiny")
    assert res.status == "not_identified"
    assert "tiny" in res.message and "free parameters" in res.message
    assert res.estimates.empty


def test_redundant_parameters_named_when_information_singular(items):
    model = CFA + "belong ~~ lonely\n"   # covariance and regression between the same factors
    res = fit_sem(model, items, name="redundant")
    assert res.status == "not_identified"
    assert "lonely ~ belong" in res.message and "belong ~~ lonely" in res.message
    assert res.vcov is None and res.estimates["se"][res.estimates["op"] != "~1"].isna().any()


def test_heywood_case_is_an_improper_solution():
    # one factor, three indicators: lambda_1^2 = r12 r13 / r23 = 1.28 > 1 -> negative residual
    cov = np.array([[1.0, .8, .8], [.8, 1.0, .5], [.8, .5, 1.0]])
    data = _data_with_cov(cov, 200, ["x1", "x2", "x3"])
    res = fit_sem("f =~ x1 + x2 + x3", data, name="heywood")
    assert res.status == "improper_solution"
    assert "negative variance" in res.message and "x1 ~~ x1" in res.message
    # suggests what helps, never a model that confounds stable differences (issue 11)
    assert "fewer constructs" in res.message and "equality constraints" in res.message
    assert "more waves" in res.message and "CLPM" not in res.message
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert est[("x1", "~~", "x1")] < 0


def test_non_convergence_is_reported(items, monkeypatch):
    real = fit_module.fisher_scoring

    def stalled(*args, **kw):
        opt = real(*args, **kw)
        return Optimum(opt.theta, opt.loglik, False, 500, "iteration limit reached")

    monkeypatch.setattr(fit_module, "fisher_scoring", stalled)
    res = fit_sem(CFA, items, name="slow")
    assert res.status == "not_converged" and not res.converged
    assert "slow" in res.message and "did not converge" in res.message


def test_lr_test_refuses_failed_or_mismatched_fits(fitted, items):
    ok = fitted("clpm_2x3_fiml")
    stat = fitted("clpm_2x3_stationary_fiml")
    with pytest.raises(ModelError, match="restricted model first"):
        lr_test(ok, stat)
    other = fit_sem(CFA, items)
    with pytest.raises(ModelError, match="same cases"):
        lr_test(stat, other)
    with pytest.raises(ModelError, match="improper_solution"):
        lr_test(fitted("riclpm_2x3_fiml"), ok)


def test_fit_is_deterministic(fitted):
    syntax, data, kw = case_inputs("cfa_2f_fiml")
    a, b = fit_sem(syntax, data, **kw), fit_sem(syntax, data, **kw)
    pd.testing.assert_frame_equal(a.estimates, b.estimates)


@pytest.mark.parametrize("missing", ["listwise", "ml"])
def test_collinear_variables_refused_with_their_names(missing):
    rng = np.random.default_rng(1)
    x = rng.normal(size=100)
    d = pd.DataFrame({"x": x, "z": 2 * x, "y": x + rng.normal(size=100)})
    with pytest.raises(DataError, match=r"collinear: .*singular.*'x', 'z'"):
        fit_sem("y ~ x + z", d, missing=missing, name="collinear")


def test_constant_variable_refused(items):
    with pytest.raises(DataError, match=r"variable\(s\) cb3 are constant"):
        fit_sem(CFA, items.assign(cb3=4.0))


def test_lavaan_mode_without_written_variance_names_the_variable():
    rng = np.random.default_rng(1)
    x = rng.normal(size=100)
    d = pd.DataFrame({"x": x, "y": x + rng.normal(size=100)})
    res = fit_sem("y ~ x\ny ~~ y", d, mode="lavaan", name="lavmode")  # lavaan fails here too
    assert res.status == "not_converged"
    assert "['x'] have zero implied variance" in res.message and "x ~~ x" in res.message


def test_nullable_float_columns_are_accepted(fitted):
    syntax, data, kw = case_inputs("cfa_2f_fiml")
    res = fit_sem(syntax, data.astype("Float64"), **kw)
    pd.testing.assert_frame_equal(res.estimates, fitted("cfa_2f_fiml").estimates)
