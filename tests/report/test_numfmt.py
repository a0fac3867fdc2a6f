"""Number formatting of the report (one formatter for text, tables and tests)."""

from __future__ import annotations

import pytest

from pipeline.report.numfmt import digits_for, fmt_ci, fmt_count, fmt_num, fmt_p, fmt_pct, parse_num


@pytest.mark.parametrize("x,d,text", [
    (3.5026, 1, "3.5"), (-0.3826, 2, "\u22120.38"), (0.0033, 2, "0.0033"), (0.0, 2, "0.00"),
    (-0.0001, 1, "\u22120.0001"), (61.25, 1, "61.2"), (None, 2, "\u2014"),
    (float("nan"), 2, "\u2014"),
])
def test_fmt_num(x, d, text):
    assert fmt_num(x, d) == text


def test_digits_follow_the_scale_range():
    assert digits_for(0, 100) == 1 and digits_for(1, 7) == 2 and digits_for(None, None) == 2


def test_ci_p_pct_and_parse():
    assert fmt_ci(-0.64, -0.12) == "\u22120.64 to \u22120.12"
    assert fmt_p(0.0002) == "<0.001" and fmt_p(0.0345) == "0.035"
    assert fmt_pct(28.25) == "28%" and fmt_pct("[c]") == "[c]"
    assert parse_num("\u22120.38") == -0.38


@pytest.mark.parametrize("n,text", [(0, "0"), (3, "<10"), (10, "10"), (178.0, "178"),
                                    ("<10", "<10"), ("[c]", "[c]"), ("43-51", "43-51")])
def test_counts_are_suppressed(n, text):
    assert fmt_count(n, 10) == text
