"""Tests for pipeline.clean.score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline.clean.score import score_scale, score_scales
from pipeline.config import Scale
from pipeline.errors import ConfigError, DataError

MEAN = Scale(key="m", items=("a", "b", "c", "d"), range=(1.0, 7.0), min_items=3, score="mean")
SUM = Scale(key="s", items=("x", "y", "z"), range=(1.0, 3.0), min_items=2, score="sum")

nan = np.nan


def test_mean_score_min_items():
    df = pd.DataFrame(
        {"a": [1, 1, 1, nan], "b": [2, 2, nan, nan], "c": [3, 3, 3, nan], "d": [6, nan, nan, 4]}
    )
    out = score_scale(df, MEAN)
    assert out.iloc[0] == 3.0 and out.iloc[1] == 2.0
    assert out.iloc[2:].isna().all()
    assert out.name == "m"


def test_sum_score_is_prorated():
    df = pd.DataFrame({"x": [1, 3, 2, nan], "y": [2, 3, nan, nan], "z": [3, nan, nan, 1]})
    out = score_scale(df, SUM)
    assert out.iloc[0] == 6.0
    assert out.iloc[1] == 9.0  # mean 3 x 3 items
    assert out.iloc[2:].isna().all()


def test_score_errors():
    with pytest.raises(DataError, match="not in the data"):
        score_scale(pd.DataFrame({"a": [1]}), MEAN)
    bad = Scale(key="b", items=("a",), range=(0.0, 1.0), score="median")
    with pytest.raises(ConfigError, match="scales.b.score"):
        score_scale(pd.DataFrame({"a": [1]}), bad)


def test_score_scales_adds_columns_and_logs_counts():
    long = pd.DataFrame(
        {
            "wave": ["T0", "T0", "T1", "T1"],
            "a": [1, nan, nan, 1],
            "b": [1, nan, nan, nan],
            "c": [1, nan, nan, nan],
            "d": [1, nan, nan, nan],
            "x": [1, 1, 1, 1],
            "y": [1, 1, 1, 1],
            "z": [1, 1, 1, 1],
        }
    )
    out, log = score_scales(long, {"m": MEAN, "s": SUM})
    assert out["m"].tolist()[0] == 1 and out["m"].iloc[1:].isna().all()
    assert (out["s"] == 3).all()
    assert set(log["issue"]) == {
        "score missing: all items missing",
        "score missing: fewer than min_items (3) answered",
    }
    t1 = log[(log["wave"] == "T1") & (log["issue"].str.contains("all items"))]
    assert t1["original_value"].tolist() == ["1 participants"]
    assert (log["row"] == "all").all() and log["pid"].isna().all()
    assert "m" not in long.columns  # input not modified


@settings(max_examples=50, deadline=None)
@given(arrays(float, (20, 3), elements=st.one_of(st.sampled_from([1.0, 2.0, 3.0]), st.just(nan))))
def test_scores_lie_in_scale_range(x):
    df = pd.DataFrame(x, columns=["x", "y", "z"])
    s = score_scale(df, SUM).dropna()
    assert s.between(3, 9).all()
    m = score_scale(
        df, Scale(key="m", items=("x", "y", "z"), range=(1.0, 3.0), min_items=1)
    ).dropna()
    assert m.between(1, 3).all()
    assert len(m) == int((df.notna().sum(axis=1) >= 1).sum())
