"""Shared paths and column lists for the ingest tests (imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"
EXPECTED = ["completed_at", "age", "gender", "gm1", "gm2", "cb1", "lon1", "eq_vas", "comment"]
