"""Smoke test of benchmarks/bench_mediation.py: ours and the floor run on the benchmark's data
(with a small B), and ours yields the table the pipeline would (the peer is optional)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_mediation as bm  # noqa: E402


def test_ours_and_floor_run_with_a_small_B(monkeypatch):
    monkeypatch.setattr(bm, "B", 60)
    df = pd.read_csv(ROOT / "tests" / "fixtures" / "mediation" / "chain_n630.csv")
    bm.floor(df)
    bm.ours(df)
    big = bm.bigger(df, 1000)
    assert len(big) == 1000 and list(big.columns) == list(df.columns)
