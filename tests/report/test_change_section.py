"""The change figure's alt text reads the means the figure draws: the primary method's
(change_primary_means.csv) when the change wing writes them, else the mixed model's."""

from __future__ import annotations

import pandas as pd
from report_helpers import DEMO, demo_config

from pipeline.report.change_section import _model_means
from pipeline.report.inputs import ReportInputs, WaveInfo


def _inputs(tables):
    cfg = demo_config()
    return ReportInputs(findings=pd.DataFrame(), waves=tuple(WaveInfo(w.id, w.label, w.months)
                                                            for w in cfg.waves),
                        scales=cfg.scales, min_cell=10, tables=tables)


def test_primary_means_are_preferred_and_ordered_by_wave():
    prim = pd.DataFrame({"construct": "qol", "wave": ["T2", "T0", "T1", "T1"],
                         "method": ["fiml", "fiml", "fiml", "mi"],
                         "role": ["primary", "primary", "primary", "sensitivity"],
                         "est": [63.7, 61.4, 63.8, 99.0], "status": "ok"})
    means = pd.read_csv(DEMO / "tables" / "change_means.csv")
    got = _model_means(_inputs({"change_primary_means": prim, "change_means": means}), "qol")
    assert list(got["wave"]) == ["T0", "T1", "T2"] and list(got["est"]) == [61.4, 63.8, 63.7]


def test_falls_back_to_the_mixed_model_means():
    means = pd.read_csv(DEMO / "tables" / "change_means.csv")
    got = _model_means(_inputs({"change_means": means}), "qol")
    assert set(got["method"]) == {"lmm_reml"} and list(got["wave"]) == ["T0", "T1", "T2"]
