"""pipeline.healthcare.data: a count is a whole number 0, 1, 2, ... (else a DataError naming the
column and how many rows, never an id); long rows of the observed counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import DataError
from pipeline.healthcare.data import check_count_columns, count_long

WAVES = ("T0", "T1")


def _wide(t0, t1):
    return pd.DataFrame({"pid": [f"secret{i}" for i in range(len(t0))], "gp_T0": t0,
                         "gp_T1": t1})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 60), st.none()), min_size=1, max_size=30))
def test_whole_counts_and_missing_pass(values):
    t = [np.nan if v is None else float(v) for v in values]
    check_count_columns(_wide(t, t[::-1]), "gp", WAVES, "GP visits")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=30),
       st.lists(st.one_of(st.floats(0.01, 59.99).filter(lambda v: v != round(v)),
                          st.integers(-60, -1).map(float)), min_size=1, max_size=5))
def test_fractions_and_negatives_refused_with_column_and_count(good, bad):
    t1 = [float(v) for v in good] + bad
    t0 = [1.0] * len(t1)
    with pytest.raises(DataError) as e:
        check_count_columns(_wide(t0, t1), "gp", WAVES, "GP visits")
    msg = str(e.value)
    assert f"column 'gp_T1': {len(bad)} row(s)" in msg and "gp_T0" not in msg
    assert "secret" not in msg and "whole number" in msg


def test_missing_column_named():
    with pytest.raises(DataError, match="no column 'gp_T1'"):
        check_count_columns(pd.DataFrame({"pid": ["a"], "gp_T0": [1.0]}), "gp", WAVES, "GP")


def test_text_values_refused():
    w = _wide([1, 2], ["3", "lots"])
    with pytest.raises(DataError, match="column 'gp_T1': 1 row"):
        check_count_columns(w, "gp", WAVES, "GP")


def test_count_long_keeps_observed_rows_in_wave_order():
    long = count_long(_wide([1.0, np.nan, 0.0], [2.0, 3.0, np.nan]), "gp", WAVES)
    assert long.to_dict("list") == {"pid": ["secret0", "secret2", "secret0", "secret1"],
                                    "wave": ["T0", "T0", "T1", "T1"],
                                    "y": [1.0, 0.0, 2.0, 3.0]}
