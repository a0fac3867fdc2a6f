"""Probe points other than mean -/+ 1 SD: the instrument's anchors, analyst values, percentiles.

Held to R on the moderation fixture (tests/fixtures/moderation/moderation_reference.R, last
block; output reference_probe_points.csv):

    pts <- c(1, 4, 7, 2.5, 5.5, quantile(f$w, c(.16, .5, .84), na.rm = TRUE, type = 7))
    # FIML: lavaan defined parameters, delta-method SEs from the MLR vcov
    fit <- sem("y1 ~ y0 + b1 * dx + w + b3 * dxw + c_age + ...
                s1 := b1 + b3 * 1; s2 := b1 + b3 * 4; ...", data = f,
               estimator = "MLR", missing = "ml", fixed.x = FALSE)
    # complete cases: emmeans on lm
    m <- lm(y1 ~ y0 + dx * w + c_age + ..., data = cc)
    summary(emtrends(m, ~ w, var = "dx", at = list(w = pts_cc)), infer = TRUE)

(percentiles of w among the people each method analyses). Same FIML model; only the probe
points change, so the estimates and SEs must agree to 1e-5 (FIML) and 1e-9 (lm).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moderation_helpers import FIX, ROOT, demo_raw

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.moderation.analysis import analyse
from pipeline.moderation.anchors import Probe, probe_points, who
from pipeline.moderation.sentences import build_sentences
from pipeline.moderation.settings import from_config

REF = pd.read_csv(FIX / "reference_probe_points.csv")
TOL = {"fiml": 1e-5, "complete_case": 1e-9}
BASE = {"outcome": "loneliness", "predictor": "group_memberships", "moderator": "identification",
        "waves": ["T0", "T1"], "covariates": ["age", "gender"]}


def _settings(**analysis):
    raw = demo_raw({"a": {**BASE, **analysis}})
    return from_config(config_from_dict(raw, root=ROOT))


def _slopes(wide, **analysis) -> pd.DataFrame:
    return analyse(wide, _settings(**analysis)).tables()["simple_slopes"]


@pytest.mark.parametrize("probe,kind", [("anchors", "anchors"),
                                        ({"values": [2.5, {"value": 5.5, "label": "x"}]},
                                         "values"),
                                        ("percentiles", "percentiles")])
@pytest.mark.parametrize("method", ["fiml", "complete_case"])
def test_slopes_at_probe_points_match_r(wide, probe, kind, method):
    ours = _slopes(wide, probe=probe)
    ours = ours[ours["method"] == method].reset_index(drop=True)
    ref = REF[(REF["method"] == method) & (REF["probe"] == kind)].reset_index(drop=True)
    assert (ours["probe"] == kind).all()
    for col in ("w", "est", "se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(ours[col], ref[col], atol=TOL[method], rtol=0)


def test_anchors_come_from_the_preset_with_words(wide):
    t = _slopes(wide, probe="anchors")
    fiml = t[t["method"] == "fiml"]
    assert fiml["label"].tolist() == ["Strongly disagree", "Neither agree nor disagree",
                                      "Strongly agree"]
    assert fiml["position"].tolist() == ["low", "middle", "high"]
    assert fiml["who"].tolist()[-1] == "who strongly agreed that they identified with their group"
    assert fiml["who"].tolist()[1] == ("who neither agreed nor disagreed that they identified "
                                       "with their group")


def test_the_default_probe_is_unchanged(wide):
    t = _slopes(wide)
    fiml = t[t["method"] == "fiml"]
    assert fiml["at"].tolist() == ["mean - 1 SD", "mean", "mean + 1 SD"]
    assert (fiml["probe"] == "sd").all()
    assert fiml["position"].tolist() == ["low", "middle", "high"]


def test_anchor_sentence_names_the_answer_and_flags_extrapolation(wide):
    s = _settings(probe="anchors")
    res = analyse(wide, s)
    tables = res.tables()
    # pretend nobody answered 1: the "strongly disagree" point lies outside the observed range
    sl = tables["simple_slopes"]
    sl.loc[sl["w"] == 1, "within_observed"] = False
    text = build_sentences(tables, s)
    row = text[(text["kind"] == "simple_slopes") & (text["method"] == "fiml")].iloc[0]
    sentence = row["sentence"]
    assert sentence.startswith("For people who strongly agreed that they identified with their "
                               "group (7 on the 1\u20137 scale), each extra point of group "
                               "memberships between T0 and T1 went with")
    assert ("for people who strongly disagreed that they identified with their group (1 on the "
            "1\u20137 scale, below the lowest score observed), with") in sentence
    assert sentence.index("strongly agreed") < sentence.index("neither agreed") \
        < sentence.index("strongly disagreed")


def test_label_map_anchors_and_sum_scores(wide):
    raw = demo_raw({"a": {**BASE, "moderator": "lon_mod", "probe": "anchors"}})
    raw["label_maps"]["ucla3"] = {"1": 1, "Hardly ever": 1, "Some of the time": 2, "Often": 3}
    raw["scales"]["lon_mod"] = {"label": "Lonely moderator", "items": ["m1", "m2", "m3"],
                                "range": [1, 3], "score": "sum", "label_map": "ucla3"}
    s = from_config(config_from_dict(raw, root=ROOT))
    p = s.analyses[0].probe
    assert p.points == ((3.0, "Hardly ever"), (6.0, "Some of the time"), (9.0, "Often"))
    assert p.answer == "sum"
    point = probe_points(p, 0, 1, np.array([]))[-1]
    assert who(p, point, "lonely moderator") == \
        "who answered 'often' to every lonely moderator item"


@pytest.mark.parametrize("analysis,match", [
    ({"probe": {"values": [2, 8]}}, r"moderation.analyses.a.probe.values\[1\]: 8 is outside the "
                                    r"possible range of 'identification' \(1 to 7\)"),
    ({"moderator": "qol", "outcome": "loneliness", "probe": "anchors"},
     r"moderation.analyses.a.probe: probe 'anchors' needs labelled response points of scale "
     r"'qol'"),
])
def test_probes_the_scale_cannot_take_are_refused(analysis, match):
    with pytest.raises(ConfigError, match=match):
        _settings(**analysis)


def test_schema_refuses_a_bad_probe():
    with pytest.raises(ConfigError, match="probe"):
        _settings(probe="quartiles")


def test_values_keep_their_labels_and_words(wide):
    t = _slopes(wide, probe={"values": [{"value": 6, "label": "who agreed"}, 2]})
    fiml = t[t["method"] == "fiml"]
    assert fiml["at"].tolist() == ["w = 2", "who agreed"]
    assert fiml["who"].tolist() == ["who scored 2 on identification with the group", "who agreed"]


@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=40),
       st.lists(st.floats(1, 99), min_size=1, max_size=5, unique=True))
def test_percentile_points_are_ordered_and_observed(values, pcts):
    p = Probe("percentiles", percentiles=tuple(sorted(pcts)))
    pts = probe_points(p, 0.0, 1.0, np.array(values))
    ws = [pt.w for pt in pts]
    assert ws == sorted(ws)
    assert all(min(values) - 1e-9 <= w <= max(values) + 1e-9 for w in ws)
    if len(pts) > 1:
        assert pts[0].position == "low" and pts[-1].position == "high"
    assert all(pt.at.endswith("percentile") for pt in pts)
    assert not any(math.isnan(w) for w in ws)
