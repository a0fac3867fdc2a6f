"""Pooled mediation: the chain as one multi-group FIML model (schemes as groups), free paths vs
the chain's paths equal across schemes, against lavaan 0.6
(``tests/fixtures/pooled_mediation/pooled_mediation.R``)::

    fe <- sem(equal, d, group = "scheme", missing = "ml", fixed.x = FALSE)
    # equal: m1 ~ c(a1, a1, a1)*x + age; ...; ind_1 := a1*b1; ...; total := cp + ind_total
    lavTestLRT(fe, ff)   # ff: the same chain, every path free per scheme

and the robust Wald test (``tests/fixtures/pooled_mediation/pooled_mediation_wald.R``)::

    ff <- sem(free, d, group = "scheme", missing = "ml", fixed.x = FALSE, estimator = "MLR")
    # free: m1 ~ c(a1_1, a1_2, a1_3)*x + age; ... (every chain path labelled per scheme)
    lavTestWald(ff, constraints = "a1_1 == a1_2; a1_1 == a1_3; ...")

and the Satorra-Bentler (2001) scaled LR test, the headline
(``tests/fixtures/pooled_mediation/pooled_mediation_scaled.R``)::

    fit <- function(m) sem(m, d, group = "scheme", missing = "ml", fixed.x = FALSE,
                           estimator = "MLR")
    lr <- lavTestLRT(fit(equal), fit(free), method = "satorra.bentler.2001")
    cd <- (lr[2, "Chisq"] - lr[1, "Chisq"]) / lr[2, "Chisq diff"]
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pipeline.pooled.mediation import (
    _estimates,
    chain_labels,
    chain_rows,
    chain_syntax,
    fit_pooled_chain,
    robust_wald,
)
from pipeline.pooled.scaled import scaled_row

pytestmark = pytest.mark.slow

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "pooled_mediation"


def _spec():
    col = SimpleNamespace
    return SimpleNamespace(name="chain", x=col(column="x"),
                           mediators=(col(column="m1"), col(column="m2")), y=col(column="y"))


def test_chain_syntax_and_labels():
    syntax = chain_syntax("x", ["m1", "m2"], "y", ["age"])
    assert syntax.splitlines()[:3] == ["m1 ~ a1*x + age", "m2 ~ a2*x + d21*m1 + age",
                                       "y ~ cp*x + b1*m1 + b2*m2 + age"]
    assert "ind_12 := a1*d21*b2" in syntax and "total := cp + ind_total" in syntax
    assert chain_labels(3) == ["a1", "a2", "a3", "d21", "d31", "d32", "b1", "b2", "b3", "cp"]


def test_matches_lavaan_multigroup_equal_paths_and_lr_test():
    data = pd.read_csv(FIX / "pooled_mediation_data.csv")
    ref = pd.read_csv(FIX / "pooled_mediation_reference.csv", skipinitialspace=True,
                      na_values=["NA"]).set_index("what")
    frames = {g: d.drop(columns="scheme").reset_index(drop=True)
              for g, d in data.groupby("scheme", sort=False)}
    free, equal, test = fit_pooled_chain(frames, _spec(), ["age"])
    assert free.ok and equal.ok
    np.testing.assert_allclose(test["chisq_diff"], ref.loc["chisq_diff", "est"], rtol=1e-5)
    assert test["df_diff"] == ref.loc["df_diff", "est"] == 12
    np.testing.assert_allclose(test["pvalue"], ref.loc["pvalue", "est"], rtol=1e-4)
    est = _estimates(free, equal)
    pooled = est[(est["model"] == "equal") & (est["group"] == "all schemes")]
    got = {(r.label if r.op == "~" else r.lhs): (r.est, r.se) for r in pooled.itertuples()}
    for what in ref.index[:-3]:
        np.testing.assert_allclose(got[what][0], ref.loc[what, "est"], atol=1e-5, err_msg=what)
        np.testing.assert_allclose(got[what][1], ref.loc[what, "se"], rtol=1e-3, err_msg=what)
    # the covariate's paths stay free: one row per scheme
    age = est[(est["model"] == "equal") & (est["rhs"] == "age") & (est["op"] == "~")]
    assert len(age) == 3 * 3 and set(age["group"]) == {"s1", "s2", "s3"}


def _frames():
    data = pd.read_csv(FIX / "pooled_mediation_data.csv")
    return {g: d.drop(columns="scheme").reset_index(drop=True)
            for g, d in data.groupby("scheme", sort=False)}


def test_chain_rows_follow_the_labels():
    assert chain_rows("x", ["m1", "m2"], "y") == ["m1 ~ x", "m2 ~ x", "m2 ~ m1", "y ~ m1",
                                                  "y ~ m2", "y ~ x"]
    assert len(chain_rows("x", ["m1", "m2", "m3"], "y")) == len(chain_labels(3))


def test_robust_wald_matches_lavaan_mlr():
    ref = pd.read_csv(FIX / "pooled_mediation_wald_reference.csv").set_index("what")["est"]
    got = robust_wald(_frames(), _spec(), ["age"])
    assert got["status"] == "ok" and got["test"] == "wald_mlr"
    np.testing.assert_allclose(got["chisq_diff"], ref["wald_chisq"], rtol=1e-4)
    assert got["df_diff"] == ref["wald_df"] == 12
    np.testing.assert_allclose(got["pvalue"], ref["wald_pvalue"], rtol=1e-3)


def test_robust_wald_failure_is_a_status_not_an_exception():
    frames = {k: f.assign(age=50.0) for k, f in _frames().items()}  # age constant: dropped
    frames = {k: f.iloc[:3] for k, f in frames.items()}  # too few cases to fit
    got = robust_wald(frames, _spec(), ["age"])
    assert got["status"] != "ok" and got["message"]


def test_scaled_lr_test_matches_lavaan_mlr_satorra_bentler_2001():
    ref = pd.read_csv(FIX / "pooled_mediation_scaled_reference.csv",
                      skipinitialspace=True).set_index("what")["est"]
    free, equal, _ = fit_pooled_chain(_frames(), _spec(), ["age"])
    got = scaled_row(equal, free)
    assert got["status"] == "ok", got["message"]
    for key, what in (("chisq_diff", "scaled_chisq_diff"), ("pvalue", "scaled_pvalue"),
                      ("scaling_factor", "scaling_factor")):
        np.testing.assert_allclose(got[key], ref[what], rtol=1e-5, err_msg=key)
    assert got["df_diff"] == ref["scaled_df_diff"] == 12
    # the free model is saturated (df 0): cd is the equal model's own scaling factor
    np.testing.assert_allclose(got["scaling_factor"], ref["scaling_equal"], rtol=1e-5)
