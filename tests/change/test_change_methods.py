"""Change methods (pipeline/change/methods.py): a FIML model the data cannot support is a
not-estimable row with its reason, never an exception that stops the run (small schemes:
a near-empty covariate level or a tiny last wave makes the saturated model singular)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.change.methods import fiml_rows, fiml_rows_joint


def _frame(n: int = 60, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t0 = rng.normal(4, 1, n)
    t1 = t0 + rng.normal(0.3, 0.8, n)
    t1[rng.random(n) < 0.3] = np.nan
    return pd.DataFrame({"pid": np.arange(n), "qol_T0": t0, "qol_T1": t1,
                         "age": rng.normal(60, 10, n)})


def test_singular_joint_model_is_not_estimable_not_an_error():
    frame = _frame()
    frame["copy"] = frame["qol_T0"] * 2.0  # an exact linear copy: singular covariance
    rows = fiml_rows_joint(frame, ["qol"], ["T0", "T1"], ["age", "copy"], se="standard",
                           conf=0.95)
    fiml = [r for r in rows if r["method"] == "fiml"]
    assert fiml and all(r["status"] == "not_estimable" for r in fiml)
    assert all("could not be estimated" in r["message"] for r in fiml)
    assert {r["kind"] for r in fiml} == {"mean", "contrast"}


def test_singular_single_model_is_not_estimable_not_an_error():
    frame = _frame()
    frame["copy"] = frame["qol_T0"] + 1.0
    rows = fiml_rows(frame, "qol", ["T0", "T1"], ["copy"], se="standard", conf=0.95)
    assert rows and all(r["status"] == "not_estimable" for r in rows)


@pytest.mark.parametrize("joint", [True, False])
def test_a_supported_model_still_estimates(joint):
    frame = _frame()
    rows = (fiml_rows_joint(frame, ["qol"], ["T0", "T1"], ["age"], se="standard", conf=0.95)
            if joint else fiml_rows(frame, "qol", ["T0", "T1"], ["age"], se="standard",
                                    conf=0.95))
    assert any(r["status"] == "ok" for r in rows)
