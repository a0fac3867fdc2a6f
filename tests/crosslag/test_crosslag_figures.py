"""pipeline.crosslag.figures: path diagrams from plain lagged-effect tables, and placeholders."""

from __future__ import annotations

import pandas as pd

from pipeline.crosslag.figures import plot_lagged_paths, plot_not_estimable
from pipeline.crosslag.sentences import not_estimable


def test_placeholder_says_why_in_both_formats(tmp_path):
    paths = plot_not_estimable(tmp_path / "x.png", title="RI-CLPM",
                               message=not_estimable("improper_solution", "negative variance"))
    assert [p.name for p in paths] == ["x.png", "x.svg"]
    svg = (tmp_path / "x.svg").read_text()
    assert "improper_solution" in svg and "negative variance" in svg


def test_path_diagram_takes_a_plain_table(tmp_path):
    lagged = pd.DataFrame([
        {"from": "a", "to": "b", "from_wave": "T0", "to_wave": "T1", "type": "cross-lagged",
         "ci_lower": 0.1, "ci_upper": 0.5, "std_all": 0.3},
        {"from": "a", "to": "a", "from_wave": "T0", "to_wave": "T1", "type": "autoregressive",
         "ci_lower": 0.4, "ci_upper": 0.8, "std_all": 0.6},
    ])
    plot_lagged_paths(lagged, ["a", "b"], ["T0", "T1"], tmp_path / "d", labels={"a": "Alpha"})
    svg = (tmp_path / "d.svg").read_text()
    assert "Alpha" in svg and "0.30" in svg and "0.60" in svg
