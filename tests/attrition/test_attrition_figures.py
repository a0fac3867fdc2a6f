"""Tests for pipeline/attrition/figures.py (figures take plain tables and apply disclosure)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.attrition.figures import flow_labels, pattern_labels, plot_flow, plot_missingness
from pipeline.attrition.flow import participant_flow, pattern_summary
from pipeline.attrition.public import public_flow_and_patterns

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
WAVES = ["T0", "T1", "T2"]
LABELS = ["Pathway entry", "About 4 months", "6-9 months"]


def test_figures_written_with_suppressed_labels(tmp_path):
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    flow, pats = public_flow_and_patterns(participant_flow(wide, None, WAVES, LABELS),
                                          pattern_summary(wide, WAVES), 10)
    paths = plot_flow(flow, tmp_path / "flow.png", 10)
    assert [p.name for p in paths] == ["flow.png", "flow.svg"]
    svg = paths[1].read_text()
    assert all(p.exists() for p in paths) and "&lt;10" in svg and "630 joined" in svg
    paths = plot_missingness(pats, tmp_path / "patterns", 10)
    svg = paths[1].read_text()
    assert "&lt;10" in svg and "8 (1%)" not in svg


def test_labels_are_the_public_numbers():
    flow = pd.DataFrame({"wave": WAVES, "label": LABELS, "retained": [630, 178, 63],
                         "pct_baseline": [100, 28.3, 10.0],
                         "lost_since_previous": [None, 452, "116-124"],
                         "rejoined": [None, 0, "<10"], "excluded_duplicate": ["<10", 0, 0]})
    lab = flow_labels(flow)
    assert lab["side"][2] == ("Lost since previous wave: 116\u2013124\n"
                              "Back after missing a wave: <10")
    assert lab["main"][1].endswith("178 answered (28% of baseline)")
    pats = pd.DataFrame({"label": ["a", "b", "c"], "n": [58, "54-62", "<10"],
                         "pct": [9.2, "[c]", "[c]"]})
    assert pattern_labels(pats) == ["58 (9%)", "54\u201362", "<10"]
