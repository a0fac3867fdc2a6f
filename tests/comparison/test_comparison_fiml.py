"""pipeline.comparison.fiml: the arm x time model's syntax and its failures. The numbers are
held to lavaan in test_comparison_r_reference.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from two_arm_study import two_arm_wide

from pipeline.comparison.fiml import arm_syntax, fiml_arm_rows
from pipeline.errors import DataError


def test_syntax_labels_every_estimand_and_saturates_the_auxiliaries():
    syntax, labels = arm_syntax({"lon": ["l0", "l1", "l2"]}, "P", ["age"], ["a"])
    assert "l1 ~ b0_1*P + age" in syntax and "l1 ~ i0_1*1" in syntax
    assert "did0_2 := b0_2 - b0_0" in syntax
    assert "cp0_1 := i0_1 + b0_1 - i0_0 - b0_0" in syntax
    for other in ("P", "age", "l0", "l1", "l2"):
        assert f"a ~~ {other}" in syntax
    assert labels[("lon", "did", 2)] == "did0_2"
    assert ("lon", "did", 0) not in labels and labels[("lon", "mean_prog", 0)] == "mp0_0"


def test_within_arm_changes_add_up_to_the_difference():
    w = two_arm_wide(200, 3)
    f = pd.DataFrame({"P": (w["arm"] == "Social prescribing").astype(float),
                      **{c: w[c] for c in ("loneliness_T0", "loneliness_T1")}})
    rows = {r["estimand"]: r for r in fiml_arm_rows(
        f, {"lon": ["loneliness_T0", "loneliness_T1"]}, "P", [], [], se="standard")
        if r["k"] == 1}
    assert rows["did"]["est"] == pytest.approx(rows["chg_prog"]["est"] - rows["chg_ref"]["est"],
                                               abs=1e-10)
    # no covariates, complete pairs only would differ; with everyone the FIML means of the
    # reference arm at T0 are the observed means (nobody is missing at T0)
    m0 = [r for r in fiml_arm_rows(f, {"lon": ["loneliness_T0", "loneliness_T1"]}, "P", [], [],
                                   se="standard") if r["estimand"] == "mean_ref" and r["k"] == 0]
    assert m0[0]["est"] == pytest.approx(f.loc[f["P"] == 0, "loneliness_T0"].mean(), abs=1e-6)


def test_constant_covariate_is_a_data_error_and_flat_auxiliaries_are_left_out():
    w = two_arm_wide(100, 3)
    f = pd.DataFrame({"P": (w["arm"] == "Social prescribing").astype(float), "c": 1.0,
                      "flat": np.where(w["loneliness_T1"].notna(), 2.0, np.nan),
                      "y0": w["loneliness_T0"], "y1": w["loneliness_T1"]})
    with pytest.raises(DataError, match="do not vary"):
        fiml_arm_rows(f, {"y": ["y0", "y1"]}, "P", ["c"], [])
    rows = fiml_arm_rows(f, {"y": ["y0", "y1"]}, "P", [], ["flat"])
    assert {r["status"] for r in rows} == {"ok"} and rows[0]["auxiliaries"] == 0
