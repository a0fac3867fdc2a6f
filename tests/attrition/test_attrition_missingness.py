"""Tests for pipeline/attrition/missingness.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.attrition.missingness import missingness_table
from pipeline.errors import DataError

WAVES = ["T0", "T1", "T2"]


def _tiny() -> pd.DataFrame:
    return pd.DataFrame({
        "pid": list("abcdef"), "age": [20, 30, 40, 50, 60, 70],
        "responded_T0": True,
        "responded_T1": [True, True, False, True, False, False],
        "responded_T2": [True, False, False, False, True, False],
        "belonging_T0": [1.0, 2, np.nan, 4, 5, 6],
        "belonging_T1": [1.0, np.nan, np.nan, 2, np.nan, np.nan],
        "belonging_T2": [3.0, np.nan, np.nan, np.nan, 4, np.nan],
    })


def test_missingness_table_wide_and_long_agree():
    w = _tiny()
    m = missingness_table(w, ["belonging", "age"], WAVES).set_index(["variable", "wave"])
    assert m.loc[("belonging", "T0"), ["n_responders", "n_missing"]].tolist() == [6, 1]
    assert m.loc[("belonging", "T1"), ["n_responders", "n_missing",
                                       "n_missing_baseline"]].tolist() == [3, 1, 4]
    assert m.loc[("belonging", "T2"), "pct_missing_baseline"] == pytest.approx(100 * 4 / 6)
    assert ("age", "T1") not in m.index and m.loc[("age", "T0"), "n_missing"] == 0
    rows = []
    for wv in WAVES:
        r = w[w[f"responded_{wv}"]]
        rows.append(pd.DataFrame({"pid": r["pid"], "wave": wv, "belonging": r[f"belonging_{wv}"]}))
    long = pd.concat(rows)
    ml = missingness_table(long, ["belonging"], WAVES).set_index(["variable", "wave"])
    pd.testing.assert_frame_equal(ml, m.loc[["belonging"]])


def test_missingness_unknown_variable():
    with pytest.raises(DataError, match="'lonelines'"):
        missingness_table(_tiny(), ["lonelines"], WAVES)
