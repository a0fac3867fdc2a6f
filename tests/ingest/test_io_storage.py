"""Mixed-type columns are made storable as Parquet; single-typed columns are left alone."""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd

from pipeline.ingest.storage import parquet_safe


def test_mixed_columns_become_text_and_round_trip_through_parquet():
    df = pd.DataFrame(
        {
            "gm1": pd.Series([5, "Agree", None, 2.0], dtype=object),
            "age": pd.Series([30, 41, None, 50], dtype=object),
            "when": pd.Series([datetime(2024, 1, 2), "2024-01-03", None, None], dtype=object),
            "_source_row": [2, 3, 4, 5],
        }
    )
    out, converted = parquet_safe(df)
    assert converted == ["gm1", "when"]
    assert list(out["gm1"]) == ["5", "Agree", None, "2"]
    assert out["when"].iloc[0] == "2024-01-02T00:00:00"
    assert list(out["age"]) == [30, 41, None, 50]  # one kind: untouched
    buf = io.BytesIO()
    out.to_parquet(buf)
    back = pd.read_parquet(io.BytesIO(buf.getvalue()))
    assert list(back["gm1"].fillna("-")) == ["5", "Agree", "-", "2"]


def test_excel_and_spss_results_can_be_stored():
    from io_helpers import EXPECTED, FIXTURES

    from pipeline.ingest import read_wave

    for name, cols in (
        ("xlsx_header_row3.xlsx", EXPECTED),
        ("sav_user_missing.sav", ["gm1", "age"]),
    ):
        r = read_wave(
            FIXTURES / name, wave_id="T1", id_column="participant_id", expected_columns=cols
        )
        out, _ = parquet_safe(r.data)
        back = pd.read_parquet(io.BytesIO(_to_bytes(out)))
        assert list(back["participant_id"]) == list(r.data["participant_id"])


def _to_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf)
    return buf.getvalue()
