"""Tests for pipeline/attrition/figures.py (figures take plain tables and apply disclosure)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.attrition.figures import plot_flow, plot_missingness
from pipeline.attrition.flow import participant_flow, pattern_summary

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
WAVES = ["T0", "T1", "T2"]
LABELS = ["Pathway entry", "About 4 months", "6-9 months"]


def test_figures_written_with_suppressed_labels(tmp_path):
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    paths = plot_flow(participant_flow(wide, None, WAVES, LABELS), tmp_path / "flow.png", 10)
    assert [p.name for p in paths] == ["flow.png", "flow.svg"]
    svg = paths[1].read_text()
    assert all(p.exists() for p in paths) and "&lt;10" in svg and "630 joined" in svg
    paths = plot_missingness(pattern_summary(wide, WAVES), tmp_path / "patterns", 10)
    svg = paths[1].read_text()
    assert "&lt;10" in svg and "8 (1%)" not in svg
