"""Tests for pipeline.clean.quality."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.clean.cleaner import clean_wave, concat_logs, link_waves
from pipeline.clean.quality import QUALITY_COLUMNS, log_counts, quality_summary
from pipeline.config import Scale

SC = {"s": Scale(key="s", items=("a", "b"), range=(1.0, 5.0), reverse=("b",), min_items=1)}


def _wave(ids, a, file, wave, index):
    raw = pd.DataFrame(
        {
            "id": ids,
            "a": a,
            "b": ["2"] * len(ids),
            "_source_file": file,
            "_source_row": np.arange(2, len(ids) + 2),
        }
    )
    return clean_wave(
        raw,
        wave_id=wave,
        wave_index=index,
        months=float(index),
        id_column="id",
        scales=SC,
        covariates={},
        date_column=None,
        salt="s",
        is_baseline=index == 0,
    )


def test_log_counts_uses_summary_counts():
    log = pd.DataFrame(
        {"row": [3, "all", "all"], "original_value": ["x", "12 cells", "3 cells: 'n/a' x3"]}
    )
    assert log_counts(log).tolist() == [1, 12, 3]


def test_quality_summary():
    t0 = _wave(["A", "B", "B", "", "C"], ["1", "9", "n/a", "2", "x"], "t0.csv", "T0", 0)
    t1 = _wave(["A", "Z"], ["3", "4"], "t1.csv", "T1", 1)
    long, llog = link_waves([t0.data, t1.data])
    log = concat_logs([t0.log, t1.log, llog])
    q = quality_summary({"t0.csv": 5, "t1.csv": 2}, long, log)
    assert list(q.columns) == QUALITY_COLUMNS
    def get(w, f, m, r=""):
        return q[(q.wave == w) & (q.file == f) & (q.measure == m) & (q.reason == r)]["n"].sum()

    assert get("T0", "t0.csv", "rows_read") == 5
    assert get("T0", "t0.csv", "rows_kept") == 3
    assert get("T0", "t0.csv", "rows_dropped", "missing id") == 1
    assert get("T0", "t0.csv", "rows_dropped", "duplicate id") == 1
    assert get("T0", "t0.csv", "duplicates_resolved") == 1
    assert get("T0", "t0.csv", "cells_set_missing", "out of range [1, 5]") == 1
    assert get("T0", "t0.csv", "cells_set_missing", "not a number") == 1
    assert get("T0", "t0.csv", "cells_set_missing", "missing-value text") == 1
    assert get("T0", "t0.csv", "cells_recoded", "reverse keyed: 6 - x") == 4
    assert get("T1", "t1.csv", "rows_dropped", "id not seen at baseline (T0)") == 1
    assert get("T0", "all", "participants") == 3 and get("T1", "all", "participants") == 1
    for f, n in {"t0.csv": 5, "t1.csv": 2}.items():
        kept = q[(q.file == f) & (q.measure == "rows_kept")]["n"].sum()
        dropped = q[(q.file == f) & (q.measure == "rows_dropped")]["n"].sum()
        assert kept + dropped == n
    assert "p_" not in q.to_csv()  # no pseudonymous (or raw) ids
