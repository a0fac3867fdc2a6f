"""The cross-lagged part of the mechanisms section: the caveats under the table are those of
the models the figures and the table show (the headline's constraint), not of the free models
(a funder-eyed read found "over its 4 cross-lagged path(s)" and "model df = 4" under a table
of the stationary models, whose notes say 2 paths)."""

from __future__ import annotations

import pandas as pd
from report_helpers import demo_config

from pipeline.findings.table import frame
from pipeline.report.inputs import ReportInputs, WaveInfo
from pipeline.report.mechanisms_section import _crosslag, shown_constraint
from pipeline.report.model import Notice


def _lag(role_of_stationary_ri: str = "headline") -> pd.DataFrame:
    rows = []
    for model in ("riclpm", "clpm"):
        for con in ("free", "stationary"):
            role = (role_of_stationary_ri if (model, con) == ("riclpm", "stationary")
                    else "comparison")
            rows.append({"analysis": "a", "model": model, "constraint": con, "role": role,
                         "type": "cross-lagged", "from": "gm", "to": "qol", "from_wave": "T0",
                         "to_wave": "T1", "est": 1.0, "ci_lower": 0.1, "ci_upper": 1.9,
                         "std_all": 0.2})
    return pd.DataFrame(rows)


def _status() -> pd.DataFrame:
    notes = {("clpm", "free"): "CLPM FREE NOTE.", ("clpm", "stationary"): "CLPM STAT NOTE.",
             ("riclpm", "free"): "RI FREE NOTE.", ("riclpm", "stationary"): "RI STAT NOTE."}
    return pd.DataFrame([{"analysis": "a", "model": m, "constraint": c, "status": "ok",
                          "message": "", "note": n, "role": ""} for (m, c), n in notes.items()])


def _inputs(lag: pd.DataFrame) -> ReportInputs:
    cfg = demo_config()
    return ReportInputs(findings=frame([]),
                        waves=tuple(WaveInfo(w.id, w.label, w.months) for w in cfg.waves),
                        scales=cfg.scales, min_cell=10, tables={"crosslag_lagged_effects": lag})


def _notes(lag: pd.DataFrame) -> str:
    sec = _crosslag(_inputs(lag), "a", _status())
    return " ".join(b.text for b in sec.blocks if isinstance(b, Notice))


def test_notes_follow_the_headline_constraint():
    said = _notes(_lag())
    assert "CLPM STAT NOTE" in said and "RI STAT NOTE" in said
    assert "FREE NOTE" not in said


def test_without_a_headline_the_free_models_are_shown():
    lag = _lag(role_of_stationary_ri="comparison")
    assert shown_constraint(lag) == "free"
    said = _notes(lag)
    assert "CLPM FREE NOTE" in said and "STAT NOTE" not in said


def test_only_stationary_models_configured():
    lag = _lag(role_of_stationary_ri="comparison")
    assert shown_constraint(lag[lag["constraint"] == "stationary"]) == "stationary"
    assert shown_constraint(None) == "free"


def test_the_section_says_its_words_for_the_analyses_that_ran():
    from pipeline.report.mechanisms_section import READING_WORDS, mechanisms_section
    from pipeline.report.model import Bullets

    inp = _inputs(_lag())
    inp.tables["crosslag_status"] = _status()
    sec = mechanisms_section(inp)
    said = [i for b in sec.blocks if isinstance(b, Bullets) for i in b.items]
    assert said == [w for k, w in READING_WORDS if k == "crosslag"]
    assert any("RI-CLPM (random-intercept" in w for w in said)


def test_adjusted_for_names_every_covariate_of_the_primary_chain():
    """AGReMA item 9: the report says what the paths are adjusted for, from the estimates'
    covariate rows (age, and each measure at entry), not from the config."""
    from types import SimpleNamespace

    from pipeline.report.mechanisms_section import adjusted_for

    inp = SimpleNamespace(
        scales={"belonging": None, "qol": None, "group_memberships": None},
        labels={}, covariates=("age", "gender"), wave_label={"T0": "Pathway entry"}.get,
        scale_label={"belonging": "Community belonging", "qol": "Quality of life",
                     "group_memberships": "Group memberships"}.get)
    est = pd.DataFrame({"effect_type": ["a", "covariate", "covariate", "covariate", "covariate",
                                        "covariate"],
                        "rhs": ["x", "age", "belonging_T0", "qol_T0", "age", "qol_T0"]})
    assert adjusted_for(est, inp) == ("age and each of community belonging and quality of life "
                                      "at pathway entry")
    assert adjusted_for(est.iloc[:2], inp) == "age"
    # a categorical covariate's indicators are named once, by its key
    dummies = pd.DataFrame({"effect_type": ["covariate"] * 3,
                            "rhs": ["gender_male", "gender_other", "age"]})
    assert adjusted_for(dummies, inp) == "gender and age"
    assert adjusted_for(est.iloc[:1], inp) == ""
