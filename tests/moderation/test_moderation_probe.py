"""Simple slopes and the Johnson-Neyman interval, held to a hand computation in R and to their
definition.

R (tests/fixtures/moderation/moderation_reference.R; the `interactions` package is not
installed here, so the bounds are the roots of the J-N quadratic as it computes them):

    at <- wm + c(-1, 0, 1) * wsd; slope <- b1 + b3 * at
    se <- sqrt(v11 + 2 * at * v13 + at^2 * v33)
    A <- b3^2 - crit^2 * v33; B <- 2 * (b1 * b3 - crit^2 * v13); C <- b1^2 - crit^2 * v11
    sort(Re(polyroot(c(C, B, A))))

with FIML's ML mean and SD of w and a normal critical value, lm's mean and sd of w among the
complete cases and a t critical value. Checked to 1e-5 (FIML) and 1e-9 (lm); property tests:
at a J-N boundary the slope's |t| equals the critical value, and the slope is significant at
every point of the reported regions and nowhere else in the observed range.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moderation_helpers import FIX

from pipeline.moderation.analysis import analyse
from pipeline.moderation.probe import critical_value, johnson_neyman, simple_slope

SLOPES = pd.read_csv(FIX / "reference_simple_slopes.csv")
JN = pd.read_csv(FIX / "reference_jn.csv")
TOL = {"fiml": 1e-5, "complete_case": 1e-9}


@pytest.mark.parametrize("method", ["fiml", "complete_case"])
def test_simple_slopes_match_r(wide, settings, method):
    t = analyse(wide, settings).tables()["simple_slopes"]
    ours = t[t["method"] == method].set_index("at")
    ref = SLOPES[SLOPES["method"] == method].set_index("at")
    for col in ("w", "est", "se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(ours.loc[ref.index, col], ref[col], atol=TOL[method], rtol=0)
    assert ours["primary"].all() == (method == "fiml")


@pytest.mark.parametrize("method", ["fiml", "complete_case"])
def test_jn_bounds_match_r(wide, settings, method):
    jn = analyse(wide, settings).tables()["jn"]
    ours = jn[jn["method"] == method].iloc[0]
    ref = JN[JN["method"] == method].iloc[0]
    assert ours["shape"] == ref["shape"] == "inside"
    np.testing.assert_allclose([ours["lower"], ours["upper"]], [ref["lower"], ref["upper"]],
                               atol=TOL[method] * 10, rtol=0)
    # the lower root lies below the observed range: significant from its minimum to the upper
    assert ours["significant_from"] == ref["w_min"] == 1
    assert ours["directions"] == "positive"  # the slope is above 0 where it is significant
    np.testing.assert_allclose(ours["significant_to"], ref["upper"], atol=TOL[method] * 10)


def test_critical_values():
    assert critical_value(0.95, None) == pytest.approx(1.959963985)
    assert critical_value(0.90, 20) == pytest.approx(1.724718243)


coef = st.floats(-2, 2, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(b1=coef, b3=coef, s1=st.floats(0.01, 1), s3=st.floats(0.01, 1),
       rho=st.floats(-0.95, 0.95), lo=st.floats(-5, 0), width=st.floats(0.5, 10))
def test_jn_regions_are_where_the_slope_is_significant(b1, b3, s1, s3, rho, lo, width):
    v11, v33, v13 = s1 * s1, s3 * s3, rho * s1 * s3
    crit = 1.959963985
    hi = lo + width
    jn = johnson_neyman(b1, b3, v11, v13, v33, crit, lo, hi)
    for r in jn.boundaries_in_range:
        s = simple_slope(b1, b3, v11, v13, v33, r, 0.95, None)
        assert abs(s["stat"]) == pytest.approx(crit, rel=1e-6)
    for w in np.linspace(lo, hi, 41):
        s = simple_slope(b1, b3, v11, v13, v33, float(w), 0.95, None)
        inside = any(a <= w <= b for a, b in jn.regions)
        if abs(abs(s["stat"]) - crit) > 1e-6:  # not on a boundary
            assert inside == (abs(s["stat"]) > crit), (w, s, jn)


def test_no_boundary_in_range_is_said_by_the_shape():
    everywhere = johnson_neyman(1.0, 0.0, 0.01, 0.0, 0.0001, 1.96, 1, 7)
    assert everywhere.everywhere_in_range and everywhere.boundaries_in_range == ()
    nowhere = johnson_neyman(0.0, 0.01, 1.0, 0.0, 1.0, 1.96, 1, 7)
    assert nowhere.shape == "nowhere" and nowhere.regions == ()
    assert math.isnan(nowhere.lower)
