"""pipeline.healthcare.figures: the mean-count figure is written as PNG + SVG, byte-identical
on a rerun, from the change table alone; no counts of people are printed on it."""

from __future__ import annotations

import math

import pandas as pd

from pipeline.healthcare.figures import plot_rates


def _table(estimates=(2.1, 1.7, 1.8)):
    rows = []
    for method in ("glmm", "observed"):
        for w, e in zip(("T0", "T1", "T2"), estimates):
            rows.append(dict(outcome="gp", quantity="mean_count", wave=w, method=method,
                             estimate=e if method == "glmm" else e + 0.1, n_people=123))
    rows.append(dict(outcome="gp", quantity="rate_ratio", wave="T1", method="glmm",
                     estimate=0.8, n_people=123))
    return pd.DataFrame(rows)


WAVES = {"T0": "Entry", "T1": "About 4 months", "T2": "About 7 months"}


def test_png_and_svg_written_deterministically(tmp_path):
    a = plot_rates(_table(), "gp", tmp_path / "a" / "healthcare_gp.png", "GP visits", WAVES, 3)
    b = plot_rates(_table(), "gp", tmp_path / "b" / "healthcare_gp.png", "GP visits", WAVES, 3)
    assert [p.suffix for p in a] == [".png", ".svg"]
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes()
    svg = a[1].read_text()
    assert "GP visits" in svg and "123" not in svg and "in 3 months" in svg


def test_not_estimable_outcome_still_gets_its_figure(tmp_path):
    t = _table((math.nan, math.nan, math.nan))
    out = plot_rates(t, "gp", tmp_path / "healthcare_gp.png", "GP visits", WAVES, 3)
    assert "not estimable" in out[1].read_text()


def test_with_a_comparison_group_both_arms_are_drawn(tmp_path):
    byarm = pd.DataFrame([dict(outcome="gp", quantity="mean_count", method="glmm", arm=a,
                               wave=w, estimate=e, n_people=321)
                          for a, es in (("Usual care", (1.8, 1.6, 1.7)),
                                        ("Programme", (2.2, 1.5, 1.4)))
                          for w, e in zip(WAVES, es)])
    out = plot_rates(_table(), "gp", tmp_path / "healthcare_gp.png", "GP visits", WAVES, 3,
                     byarm)
    svg = out[1].read_text()
    assert "Programme (mixed model)" in svg and "Usual care (mixed model)" in svg
    assert "Observed, both arms" in svg and "321" not in svg
    assert "Mixed model (all answers; MAR)" not in svg
    plain = plot_rates(_table(), "gp", tmp_path / "p" / "healthcare_gp.png", "GP visits",
                       WAVES, 3, byarm.iloc[0:0])
    assert "Mixed model (all answers; MAR)" in plain[1].read_text()
