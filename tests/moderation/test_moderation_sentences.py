"""Moderation sentences from plain tables: fall / rise / no clear change by the interval, the
scale's units, the Johnson-Neyman interval said plainly (including no boundary in range)."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.moderation.analysis import ESTIMATE_COLUMNS, JN_COLUMNS, SLOPE_COLUMNS, STATUS_COLUMNS
from pipeline.moderation.sentences import build_sentences

KEY = {"analysis": "identification_buffers", "method": "fiml", "primary": True}


def _tables(slopes=((-0.6, -0.8, -0.4), (-0.3, -0.45, -0.15), (0.05, -0.1, 0.2)),
            regions="1 to 4.5", interaction=(-0.1, -0.16, -0.04), directions="negative"):
    est = pd.DataFrame([{**KEY, "term": "dxw", "est": interaction[0],
                         "ci_lower": interaction[1], "ci_upper": interaction[2],
                         "ci_level": 0.95}], columns=ESTIMATE_COLUMNS)
    rows = [{**KEY, "at": at, "w": w, "est": e, "ci_lower": lo, "ci_upper": hi, "ci_level": 0.95}
            for at, w, (e, lo, hi) in zip(["mean + 1 SD", "mean", "mean - 1 SD"],
                                          [5.9, 4.6, 3.3], slopes)]
    jn = pd.DataFrame([{**KEY, "regions": regions, "directions": directions, "w_min": 1.0,
                        "w_max": 7.0, "ci_level": 0.95}], columns=JN_COLUMNS)
    st = pd.DataFrame([{**KEY, "status": "ok", "message": "", "n": 500}], columns=STATUS_COLUMNS)
    return {"estimates": est, "simple_slopes": pd.DataFrame(rows, columns=SLOPE_COLUMNS),
            "jn": jn, "status": st}


def _sentences(settings, **kw) -> dict[str, str]:
    out = build_sentences(_tables(**kw), settings)
    return dict(zip(out["kind"], out["sentence"]))


def test_strong_identifiers_fall_weak_no_clear_change(settings):
    s = _sentences(settings)
    assert s["interaction"].startswith("Between T0 and T1, how far the change in loneliness "
                                       "went with the change in group memberships "
                                       "depended on identification with the group "
                                       "(interaction \u22120.100, 95% CI \u22120.160 to "
                                       "\u22120.040, in points on the 3\u20139 UCLA-3 sum")
    slopes = s["simple_slopes"]
    assert slopes.startswith("For people who scored high on identification with the group "
                             "(one SD above average, 5.90 on the 1\u20137 scale), "
                             "each extra point of group memberships between T0 and T1 went with "
                             "a fall in loneliness of 0.60 points on the 3\u20139 "
                             "UCLA-3 sum (95% CI 0.40 to 0.80)")  # small: 2 significant digits
    assert ("for people who scored low on identification with the group (one SD below average, "
            "3.30 on the 1\u20137 scale), with no clear change in loneliness (+0.05 points on the "
            "3\u20139 UCLA-3 sum, 95% CI \u22120.10 to 0.20)") in slopes


def test_interaction_without_clear_evidence(settings):
    s = _sentences(settings, interaction=(-0.05, -0.12, 0.02))
    assert "did not clearly depend on identification" in s["interaction"]
    assert "\u22120.050, 95% CI \u22120.120 to 0.020" in s["interaction"]


W = "identification with the group"


@pytest.mark.parametrize("regions,directions,expected", [
    ("1 to 4.5", "negative",
     f"Each extra point of group memberships between T0 and T1 went with a clear fall in "
     f"loneliness for {W} from 1.00 to 4.50 (Johnson-Neyman interval, 95% CI; observed "
     "range 1.00 to 7.00); elsewhere the link was not clear."),
    ("1 to 2; 6 to 7", "positive; negative",
     f"a clear rise in loneliness for {W} from 1.00 to 2.00, and a clear fall for {W} "
     "from 6.00 to 7.00"),
    ("none", "none", f"was not clear at any observed level of {W} (1.00 to 7.00); no "
     "Johnson-Neyman boundary within the observed range"),
    ("1 to 7", "negative", f"a clear fall in loneliness at every observed level of {W} "
     "(1.00 to 7.00); no Johnson-Neyman boundary within the observed range"),
])
def test_johnson_neyman_in_words(settings, regions, directions, expected):
    assert expected in _sentences(settings, regions=regions,
                                  directions=directions)["johnson_neyman"]


def test_a_method_that_did_not_run_points_to_the_status_table(settings):
    t = _tables()
    t["status"] = t["status"].assign(status="not_estimable", message="only 12 complete cases")
    out = build_sentences(t, settings)
    assert list(out["kind"]) == ["status"]
    assert "could not be estimated" in out["sentence"].iloc[0]
    assert "12" not in out["sentence"].iloc[0]
