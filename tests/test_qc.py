"""The QC-log record format shared by ingest and clean (pipeline.qc)."""

from __future__ import annotations

import pandas as pd

from pipeline.qc import QC_LOG_COLUMNS, READ_LOG_COLUMNS, concat_logs, empty_log


def test_reader_logs_take_the_qc_shape_with_none_for_missing():
    read = pd.DataFrame([{"file": "t0.csv", "row": 3, "column": "gm1", "original_value": None,
                          "issue": "empty row", "action": "row_dropped"}])
    read["row"] = pd.array(read["row"], dtype="Int64")
    out = concat_logs([None, read, empty_log(), read.iloc[:0]])
    assert list(out.columns) == QC_LOG_COLUMNS and len(out) == 1
    assert out.loc[0, "pid"] is None and out.loc[0, "original_value"] is None
    assert all(pd.api.types.is_object_dtype(t) for t in out.dtypes)


def test_empty_input_gives_the_requested_columns():
    assert list(concat_logs([], READ_LOG_COLUMNS).columns) == READ_LOG_COLUMNS
    assert len(concat_logs([None])) == 0
