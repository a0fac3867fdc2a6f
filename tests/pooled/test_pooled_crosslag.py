"""Pooled cross-lag: one multi-group model per panel model (schemes as groups), cross-lagged
paths free vs equal across schemes, against lavaan 0.6
(``tests/fixtures/pooled_crosslag/pooled_crosslag.R``)::

    ff <- sem(clpm_free, d, group = "scheme", missing = "ml", fixed.x = FALSE)
    fe <- sem(clpm_equal, d, group = "scheme", missing = "ml", fixed.x = FALSE)
    # equal: a_T1 ~ a_T0 + c(cl_b_to_a_T1, cl_b_to_a_T1, cl_b_to_a_T1)*b_T0; ...
    lavTestLRT(fe, ff)
    lavTestWald(sem(clpm_free, ..., estimator = "MLR"), constraints = "cl_b_to_a_T1_1 == ...")
    # the RI-CLPM likewise with lavaan(..., meanstructure = TRUE, int.ov.free = TRUE)

and the Satorra-Bentler (2001) scaled LR test, the headline
(``tests/fixtures/pooled_crosslag/pooled_crosslag_scaled.R``, same syntax and data)::

    ff <- sem(clpm_free, ..., estimator = "MLR"); fe <- sem(clpm_equal, ..., estimator = "MLR")
    lr <- lavTestLRT(fe, ff, method = "satorra.bentler.2001")
    cd <- (df0 * c0 - df1 * c1) / (df0 - df1)  # c: fitMeasures(, "chisq.scaling.factor")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.pooled.crosslag import (
    clpm_syntax,
    common_waves,
    cross_labels,
    cross_rows,
    fit_pooled_crosslag,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "pooled_crosslag"
WAVES = ["T0", "T1", "T2"]


def _frames():
    data = pd.read_csv(FIX / "pooled_crosslag_data.csv")
    return {g: d.drop(columns="scheme").reset_index(drop=True)
            for g, d in data.groupby("scheme", sort=False)}


def _ref():
    return pd.read_csv(FIX / "pooled_crosslag_reference.csv", skipinitialspace=True
                       ).set_index("what")["est"]


def test_syntax_labels_every_cross_lag_per_lag():
    syntax = clpm_syntax(["a", "b"], ["T0", "T1"])
    assert syntax.splitlines()[:2] == ["a_T1 ~ a_T0 + cl_b_to_a_T1*b_T0",
                                       "b_T1 ~ cl_a_to_b_T1*a_T0 + b_T0"]
    assert cross_labels(["a", "b"], WAVES) == ["cl_b_to_a_T1", "cl_a_to_b_T1", "cl_b_to_a_T2",
                                               "cl_a_to_b_T2"]
    assert cross_rows(["a", "b"], ["T0", "T1"], "riclpm") == ["w_a_T1 ~ w_b_T0",
                                                              "w_b_T1 ~ w_a_T0"]


def test_common_waves_and_the_waves_left_out():
    common, out = common_waves({"n": ["T0", "T1", "T2"], "s": ["T0", "T1"]})
    assert common == ["T0", "T1"] and out == {"n": ["T2"], "s": []}


@pytest.mark.slow
@pytest.mark.parametrize("model", ["clpm", "riclpm"])
def test_matches_lavaan_lr_scaled_lr_and_robust_wald(model):
    ref = _ref()
    table, (lr, scaled, wald) = fit_pooled_crosslag(_frames(), ["a", "b"], WAVES, model, "ab")
    sref = pd.read_csv(FIX / "pooled_crosslag_scaled_reference.csv", skipinitialspace=True
                       ).set_index("what")["est"]
    assert scaled["test"] == "lr_scaled_mlr" and scaled["status"] == "ok", scaled["message"]
    for key, what in (("chisq_diff", "scaled_chisq_diff"), ("scaling_factor", "scaling_factor")):
        np.testing.assert_allclose(scaled[key], sref[f"{model} {what}"], rtol=1e-5,
                                   err_msg=key)
    # p far in the tail (RI-CLPM: 8e-8) moves ~chisq/2 times the statistic's relative error
    np.testing.assert_allclose(scaled["pvalue"], sref[f"{model} scaled_pvalue"], rtol=2e-4)
    assert scaled["df_diff"] == sref[f"{model} scaled_df_diff"] == 8
    assert [t["headline"] for t in (lr, scaled, wald)] == [False, True, False]
    assert lr["status"] == "ok", lr["message"]
    np.testing.assert_allclose(lr["chisq_diff"], ref[f"{model} chisq_diff"], rtol=1e-4)
    assert lr["df_diff"] == ref[f"{model} df_diff"] == 8
    np.testing.assert_allclose(lr["pvalue"], ref[f"{model} pvalue"], rtol=1e-3)
    assert wald["status"] == "ok", wald["message"]
    np.testing.assert_allclose(wald["chisq_diff"], ref[f"{model} wald_chisq"], rtol=1e-3)
    assert wald["df_diff"] == 8
    pooled = table[(table["constraint"] == "equal") & (table["group"] == "all schemes")]
    got = dict(zip(pooled["label"], pooled["est"]))
    assert len(pooled) == 4 and set(pooled["type"]) == {"cross-lagged"}
    for lab in ("cl_b_to_a_T1", "cl_a_to_b_T2"):
        np.testing.assert_allclose(got[lab], ref[f"{model} {lab}"], atol=1e-4)
    auto = table[(table["constraint"] == "equal") & (table["type"] == "autoregressive")]
    assert set(auto["group"]) == {"s1", "s2", "s3"}  # autoregressive paths stay free


def test_riclpm_on_two_common_waves_is_not_identified_with_the_reason():
    table, tests = fit_pooled_crosslag(_frames(), ["a", "b"], ["T0", "T1"], "riclpm", "ab")
    assert table.empty and {t["status"] for t in tests} == {"not_identified"}
    assert [t["test"] for t in tests] == ["lr_ml", "lr_scaled_mlr", "wald_mlr"]
    assert [t["headline"] for t in tests] == [True, False, False]  # the LR row says why
    assert "at least 3 waves that every scheme has" in tests[0]["message"]


def test_run_writes_the_tables_and_a_scheme_without_a_column_is_a_status(tmp_path):
    from types import SimpleNamespace

    from pipeline.pooled.crosslag import run_crosslag
    from pipeline.stage_io import StageIO

    s = SimpleNamespace(crosslag="ab", crosslag_constructs=("a", "b"),
                        crosslag_waves=("T0", "T1"), crosslag_models=("clpm", "riclpm"),
                        crosslag_left_out=(("s1", ("T2",)), ("s2", ())),
                        studies=("s1", "s2"))
    frames = _frames()
    io = StageIO(outputs={"crosslag": str(tmp_path / "pooled_crosslag.csv"),
                          "crosslag_test": str(tmp_path / "pooled_crosslag_test.csv")})
    sentences, statuses = run_crosslag(s, frames, {"a": "Alpha", "b": "Beta"}, io)
    tests = pd.read_csv(tmp_path / "pooled_crosslag_test.csv")
    assert list(tests["status"]) == ["ok"] * 3 + ["not_identified"] * 3
    assert list(tests["test"]) == ["lr_ml", "lr_scaled_mlr", "wald_mlr"] * 2
    assert list(tests["headline"]) == [False, True, False, True, False, False]
    assert tests["scaling_factor"].notna().sum() == 1
    assert "scaled likelihood-ratio test of equal cross-lags, MLR" in sentences[0]["sentence"]
    assert [r["wave"] for r in sentences] == ["clpm", "riclpm"]
    assert "left out: T2 of s1" in sentences[0]["sentence"]
    assert {r["analysis"] for r in statuses} == {"crosslag/ab/riclpm"}
    frames["s2"] = frames["s2"].drop(columns="b_T1")
    sentences, statuses = run_crosslag(s, frames, {}, io)
    tests = pd.read_csv(tmp_path / "pooled_crosslag_test.csv")
    assert set(tests["status"]) == {"not_estimable"}
    assert tests["message"].str.contains("the clean data of s2 lack b_T1").all()
    assert pd.read_csv(tmp_path / "pooled_crosslag.csv").empty
