"""pipeline.demo.checks: the README's cleaned items and alpha use the pipeline's cleaner and
alpha; they agree with an independent config-driven cleaner and the textbook alpha formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.demo.checks import clean_items, complete_case_alpha, demo_scales, realised_table


def test_demo_scales_match_the_config(demo_cfg):
    scales = demo_scales()
    assert list(scales) == list(demo_cfg.scales)
    for key, sc in scales.items():
        cs = demo_cfg.scales[key]
        assert sc.items == tuple(cs.items)
        assert sc.range == tuple(map(float, cs.range))
        assert sc.reverse == tuple(cs.reverse)
        expected = {k: float(v) for k, v in cs.label_map.items()} if cs.label_map else None
        assert sc.label_map == expected


def test_clean_items_agree_with_an_independent_cleaner(study, config_clean):
    for frame in study.frames.values():
        pd.testing.assert_frame_equal(clean_items(frame), config_clean(frame))


def test_clean_items_maps_labels_drops_bad_codes_and_reverse_keys():
    frame = pd.DataFrame({c: [None] * 3 for sc in demo_scales().values() for c in sc.items})
    frame["ss4"] = [" somewhat AGREE ", 8, 2]
    frame["lon1"] = ["Often", -99, 1]
    out = clean_items(frame)
    assert out["ss4"].tolist()[0] == 3.0 and np.isnan(out["ss4"][1]) and out["ss4"][2] == 6.0
    assert out["lon1"][0] == 3.0 and np.isnan(out["lon1"][1]) and out["lon1"][2] == 1.0


def test_complete_case_alpha_is_cronbachs_formula():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.normal(size=(200, 4)) + rng.normal(size=(200, 1)))
    x.iloc[3, 1] = np.nan
    d = x.dropna()
    k = d.shape[1]
    expected = k / (k - 1) * (1 - d.var(ddof=1).sum() / d.sum(axis=1).var(ddof=1))
    assert complete_case_alpha(x) == pytest.approx(expected, abs=1e-12)


def test_realised_table_has_no_alpha_for_single_items(study):
    rows = dict((s, (a, m)) for s, a, m in realised_table(study.frames))
    assert all(np.isnan(rows["qol"][0]))
    assert all(0.6 < a < 0.95 for a in rows["belonging"][0])
    assert rows["group_memberships"][1][1] > rows["group_memberships"][1][0]
