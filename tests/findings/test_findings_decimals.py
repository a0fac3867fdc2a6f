"""A change row's numbers are printed with the decimals of its construct's score kind
(pipeline.wording.decimals_for), in the sentence and the headline as in the report's tables
(tests/report/test_change_section.py::test_change_rows_print_decimals_by_the_score_kind)."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.findings.headlines import _dec as headline_dec
from pipeline.findings.sentences import _dec as sentence_dec
from pipeline.findings.settings import ScaleWords


@pytest.mark.parametrize("dec", [sentence_dec, headline_dec])
@pytest.mark.parametrize("score,lo,hi,est,lower,upper,want", [
    ("sum", 3, 9, -1.36, -2.04, -1.12, 1),          # UCLA-3 sum: "-1.4 (-2.0 to -1.1)"
    ("index", -0.285, 1, 0.0523, 0.0211, 0.0834, 3),  # EQ-5D index: "0.052 (0.021 to 0.083)"
])
def test_change_rows_use_the_score_kind(settings, dec, score, lo, hi, est, lower, upper, want):
    s = dataclasses.replace(settings, scales={
        **settings.scales, "x": ScaleWords("X", lo, hi, score, "points")})
    row = {"kind": "change", "construct": "x", "scale_min": lo, "scale_max": hi,
           "estimate": est, "ci_lower": lower, "ci_upper": upper}
    assert dec(row, s) == want
    # without the settings (a mediation or cross-lag row), the range rule as before
    assert dec({**row, "kind": "mediation"}, s) == dec(row)
