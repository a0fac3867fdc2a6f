"""The moderation figures: PNG + SVG twins from plain tables, deterministic SVG, J-N boundaries
marked only inside the observed range, and a placeholder in words (no numbers)."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.moderation.figures import plot_jn, plot_placeholder, plot_simple_slopes

SLOPES = pd.DataFrame({"at": ["mean - 1 SD", "mean", "mean + 1 SD"], "w": [3.3, 4.6, 6.0],
                       "est": [-0.5, -0.3, -0.1], "se": [0.1, 0.08, 0.1],
                       "ci_lower": [-0.7, -0.46, -0.3], "ci_upper": [-0.3, -0.14, 0.1]})


def _curve(b1=-0.1, b3=-0.08):
    w = pd.Series([1 + 6 * i / 50 for i in range(51)])
    est = b1 + b3 * w
    return pd.DataFrame({"w": w, "est": est, "ci_lower": est - 0.15, "ci_upper": est + 0.15})


def _jn(lower, upper, regions="1 to 3"):
    return pd.Series({"lower": lower, "upper": upper, "w_min": 1.0, "w_max": 7.0,
                      "regions": regions, "ci_level": 0.95})


def test_simple_slopes_twins_and_determinism(tmp_path):
    kw = dict(x_label="Change in group memberships", y_label="Difference in loneliness",
              w_label="Identification (T0)", title="Identification buffers")
    a = plot_simple_slopes(SLOPES, (-2.0, 3.0), tmp_path / "a.png", **kw)
    b = plot_simple_slopes(SLOPES, (-2.0, 3.0), tmp_path / "b.png", **kw)
    assert [p.suffix for p in a] == [".png", ".svg"]
    svg = a[1].read_text()
    assert svg == b[1].read_text()
    assert "mean + 1 SD (6.00)" in svg.replace("\u2212", "-")


def test_jn_marks_only_boundaries_inside_the_range(tmp_path):
    inside = plot_jn(_curve(), _jn(-4.0, 3.2), tmp_path / "in.png", w_label="w",
                     slope_label="slope")[1].read_text()
    assert "J\u2013N 3.20" in inside and "J\u2013N -4.00" not in inside
    outside = plot_jn(_curve(), _jn(-4.0, 9.0, "none"), tmp_path / "out.png", w_label="w",
                      slope_label="slope")[1].read_text()
    assert "J\u2013N" not in outside.replace("Johnson\u2013Neyman", "")
    assert "No Johnson\u2013Neyman boundary within the observed range" in outside


def test_placeholder_has_words_not_numbers(tmp_path):
    svg = plot_placeholder(tmp_path / "p.png", title="flat",
                           message="The FIML model could not be estimated.")[1].read_text()
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert texts and not any(re.search(r"\d", t) for t in texts)


def test_anchor_lines_are_labelled_by_their_words(tmp_path):
    anchors = pd.DataFrame({"at": ["Strongly disagree", "Neither agree nor disagree",
                                   "Strongly agree"], "w": [1.0, 4.0, 7.0],
                            "est": [0.5, 0.2, -0.1], "se": [0.2, 0.08, 0.14],
                            "ci_lower": [0.1, 0.05, -0.4], "ci_upper": [0.9, 0.35, 0.2],
                            "position": ["low", "middle", "high"]})
    kw = dict(x_label="x", y_label="y", w_label="Identification (T0)")
    a = plot_simple_slopes(anchors, (-2.0, 3.0), tmp_path / "a.png", **kw)
    svg = a[1].read_text()
    for text in ("Strongly disagree (1)", "Neither agree nor disagree (4)",
                 "Strongly agree (7)"):
        assert text in svg
    assert svg == plot_simple_slopes(anchors, (-2.0, 3.0), tmp_path / "b.png", **kw)[1] \
        .read_text()
