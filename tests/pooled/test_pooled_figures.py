"""The forest figure: PNG and SVG twins, byte-identical when drawn twice; a scheme without an
estimate is listed without a number."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.pooled.figures import _lines, plot_forest

ROWS = pd.DataFrame({
    "construct": "loneliness", "wave": ["T1", "T1", "T1"], "scheme": ["a", "b", "c"],
    "method": ["fiml", "ipw", None], "primary_method": ["fiml", "fiml", "fiml"],
    "est": [-0.4, -0.3, np.nan], "se": [0.1, 0.12, np.nan], "ci_lower": [-0.6, -0.54, np.nan],
    "ci_upper": [-0.2, -0.06, np.nan], "weight_pct": [60.0, 40.0, np.nan],
    "status": ["ok", "ok", "not_estimable"]})
POOLED = pd.DataFrame({"construct": ["loneliness"], "wave": ["T1"], "k": [2], "est": [-0.36],
                       "ci_lower": [-0.9], "ci_upper": [0.2], "pi_lower": [-1.2],
                       "pi_upper": [0.5], "status": ["ok"]})


def test_lines_name_the_stand_in_and_list_a_scheme_without_estimate():
    lines = _lines(ROWS, POOLED, {"T1": "About 4 months"})
    assert [ln["label"] for ln in lines] == ["Entry to about 4 months", "a", "b (IPW)", "c",
                                             "Pooled (2 schemes)"]
    assert lines[3]["kind"] == "none" and lines[4]["pi"] == (-1.2, 0.5)


def test_twins_are_written_and_deterministic(tmp_path):
    paths = plot_forest(ROWS, POOLED, "Loneliness", "points", {"T1": "4 months"},
                        tmp_path / "one" / "pooled_change_loneliness.png")
    again = plot_forest(ROWS, POOLED, "Loneliness", "points", {"T1": "4 months"},
                        tmp_path / "two" / "pooled_change_loneliness.png")
    assert [p.suffix for p in paths] == [".png", ".svg"]
    for a, b in zip(paths, again):
        assert a.read_bytes() == b.read_bytes()
