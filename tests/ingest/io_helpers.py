"""Shared paths and column lists for the ingest tests (imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"
EXPECTED = ["completed_at", "age", "gender", "gm1", "gm2", "cb1", "lon1", "eq_vas", "comment"]


def read_sav():
    """The SPSS fixture with user-missing codes, read as wave T2."""
    from pipeline.ingest import read_wave

    return read_wave(
        FIXTURES / "sav_user_missing.sav", wave_id="T2", id_column="participant_id",
        expected_columns=["completed_at", "age", "gm1", "gm2", "eq_vas"],
    )  # fmt: skip
