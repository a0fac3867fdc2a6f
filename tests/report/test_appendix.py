"""The technical appendix's reliability table: a value-set index (EQ-5D) has no Cronbach's
alpha because alpha does not apply, which is "not applicable", not "not estimable"."""

from __future__ import annotations

import pandas as pd
from report_helpers import demo_config

from pipeline.report.appendix import _reliability
from pipeline.report.inputs import ReportInputs, WaveInfo


def _inputs(rel):
    cfg = demo_config()
    return ReportInputs(findings=pd.DataFrame(), waves=tuple(WaveInfo(w.id, w.label, w.months)
                                                            for w in cfg.waves),
                        scales=cfg.scales, min_cell=10, tables={"reliability": rel})


def test_an_index_score_is_not_applicable_and_a_failure_not_estimable():
    rel = pd.DataFrame({
        "scale": ["qol", "belonging", "support"], "wave": "T0", "n": [630, 630, 630],
        "alpha": [None, None, 0.81], "alpha_ci_lower": [None, None, 0.78],
        "alpha_ci_upper": [None, None, 0.84], "omega": [None, None, 0.82],
        "status": ["not_run", "not_estimable", "ok"],
        "message": ["not applicable (index score): a value-set index weighs its items by a "
                    "preference tariff", "too few complete cases", ""]})
    rows = {r[0]: r for r in _reliability(_inputs(rel)).rows}
    qol, bel, sup = (rows[demo_config().scales[k].label] for k in ("qol", "belonging",
                                                                   "support"))
    assert qol[3:5] == ("not applicable", "not applicable")
    assert qol[5].startswith("not applicable (index score)")
    assert bel[3:5] == ("not estimable", "not estimable")
    assert sup[3].startswith("0.81 (")


def test_the_primary_estimand_is_said_with_the_study_labels():
    """Found by a funder-eyed read: "Primary estimand: mean change in qol from T0 to T1"."""
    from types import SimpleNamespace

    from pipeline.report.appendix import _estimand_words
    inp = SimpleNamespace(scale_label={"qol": "Quality of life (EQ VAS)"}.get,
                          wave_label={"T0": "Pathway entry", "T1": "About 4 months"}.get)
    assert _estimand_words(inp, "mean change in qol from T0 to T1") == (
        "mean change in quality of life (EQ VAS) from pathway entry to about 4 months")
    assert _estimand_words(inp, "a wording of its own") == "a wording of its own"


def test_fit_measures_print_at_fixed_decimals():
    """Found on a real pre/post export: a chi-square of 7.3e-12 printed "0.0000000000073" and
    an SRMR "0.000000010"; fit measures print as lavaan's summary does (2 and 3 decimals)."""
    from pipeline.report.appendix import _fit

    fit = pd.DataFrame([{"analysis": "a_b", "model": "clpm", "constraint": "free",
                         "chisq": 7.3e-12, "df": 0, "pvalue": float("nan"), "cfi": 1.0,
                         "tli": 1.0, "rmsea": 0.0, "rmsea.ci.lower": 0.0,
                         "rmsea.ci.upper": 0.0412, "srmr": 1.0e-8}])
    inp = _inputs(pd.DataFrame())
    inp.tables["crosslag_fit"] = fit
    (row,) = _fit(inp).rows
    assert row[3:] == ("0.00", "0", "\u2014", "1.000", "1.000", "0.000 (0.000 to 0.041)",
                       "0.000")
