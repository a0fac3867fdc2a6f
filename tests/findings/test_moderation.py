"""Moderation findings from crafted moderation tables: ids, primary and sensitivity rows, the
stand-in rules, caveats, evidence, sentences and headlines."""

from __future__ import annotations

import pandas as pd

from pipeline.findings.moderation import (
    moderation_findings,
    moderation_headline,
    moderation_question,
    moderation_sentence,
)
from pipeline.findings.table import COLUMNS

CONTEXT = dict(outcome="loneliness", predictor="group_memberships", moderator="identification",
               moderator_wave="T0", from_wave="T0", to_wave="T1")


def _status(fiml="ok", cc="ok", predictor="group_memberships", message=""):
    return pd.DataFrame([
        dict(analysis="idb", method="fiml", primary=True, status=fiml, message=message, n=500,
             n_outcome=300, **{**CONTEXT, "predictor": predictor}),
        dict(analysis="idb", method="complete_case", primary=False, status=cc, message="", n=280,
             n_outcome=280, **{**CONTEXT, "predictor": predictor}),
    ])


def _estimates():
    rows = []
    for m, (e, lo, hi) in (("fiml", (-0.12, -0.2, -0.04)), ("complete_case", (-0.1, -0.21, 0.01))):
        rows.append(dict(analysis="idb", method=m, term="dxw", est=e, se=0.04, pvalue=0.01,
                         ci_lower=lo, ci_upper=hi, ci_level=0.95))
        rows.append(dict(analysis="idb", method=m, term="w", est=-0.05, se=0.04, pvalue=0.2,
                         ci_lower=-0.13, ci_upper=0.03, ci_level=0.95))
    return pd.DataFrame(rows)


def _slopes():
    rows = []
    for m in ("fiml", "complete_case"):
        rows.append(dict(analysis="idb", method=m, at="mean + 1 SD", w=5.9, est=-0.5, se=0.1,
                         pvalue=0.001, ci_lower=-0.7, ci_upper=-0.3, ci_level=0.95))
        rows.append(dict(analysis="idb", method=m, at="mean - 1 SD", w=3.3, est=0.05, se=0.1,
                         pvalue=0.6, ci_lower=-0.15, ci_upper=0.25, ci_level=0.95))
    return pd.DataFrame(rows)


JN = pd.DataFrame([dict(analysis="idb", method="fiml", regions="1 to 2; 4.2 to 7",
                        directions="positive; negative")])


def test_rows_ids_and_evidence(settings):
    rows = moderation_findings(_estimates(), _slopes(), JN, _status(), settings,
                               {"loneliness": 1.5})
    ids = [r["finding_id"] for r in rows]
    assert ids == ["moderation.idb.interaction", "moderation.idb.slope_high",
                   "moderation.idb.slope_low", "moderation.idb.interaction@complete_case",
                   "moderation.idb.slope_high@complete_case",
                   "moderation.idb.slope_low@complete_case"]
    assert all(set(COLUMNS) <= set(r) for r in rows)
    inter, high, low = rows[:3]
    assert inter["method"] == "fiml" and inter["role"] == "primary"
    assert inter["evidence"] == "likely" and "mar_assumption" in inter["caveats"]
    assert high["evidence"] == "likely" and low["evidence"] == "no_clear"
    assert inter["effect_size"] == -0.12 / 1.5
    assert (inter["n_contributing"], inter["n_observed"]) == (500, 300)
    assert rows[3]["evidence"] == "no_clear" and rows[3]["caveats"] == ""
    s = moderation_sentence(inter, settings)
    assert s.startswith("Between pathway entry and about 4 months, how far change in group "
                        "memberships went with "
                        "change in loneliness (UCLA-3) likely depended on identification: "
                        "\u22120.120 points on the 3\u20139 UCLA-3 sum per point of change in "
                        "group memberships per point of identification, 95% CI \u22120.200 to "
                        "\u22120.040 (FIML).")
    assert s.endswith("The link was clear for identification from 1.00 to 2.00 (a rise in "
                      "loneliness), and from 4.20 to 7.00 (a fall) (Johnson-Neyman interval).")
    assert moderation_sentence(high, settings).startswith(
        "For people who scored high on identification (one SD above average), each extra point "
        "of group memberships between pathway entry and about 4 months was likely associated "
        "with lower loneliness")
    assert "showed no clear association with" in moderation_sentence(low, settings)
    for r in rows[:3]:
        assert 0 < len(moderation_headline(r, settings)) <= 160
    q, e = moderation_question(inter, settings)
    assert q == ("Does the link between change in group memberships and change in loneliness "
                 "(UCLA-3) depend on identification?")


def test_complete_cases_stand_in_when_fiml_fails(settings):
    rows = moderation_findings(_estimates(), _slopes(), JN,
                               _status(fiml="failed", message="did not converge"), settings)
    prim = [r for r in rows if r["role"] == "primary"]
    assert {r["method"] for r in prim} == {"complete_case"}
    assert all("stands_in:complete_case" in r["caveats"] for r in prim)
    assert "fiml could not give this estimate (did not converge)" in prim[0]["message"]
    sens = [r for r in rows if r["role"] == "sensitivity"]
    assert {r["evidence"] for r in sens} == {"not_estimable"}
    assert {r["status"] for r in sens} == {"failed"}


def test_nothing_ok_gives_not_estimable_rows(settings):
    rows = moderation_findings(None, None, None, _status(fiml="not_estimable",
                                                         cc="not_estimable", message="only"),
                               settings)
    prim = [r for r in rows if r["role"] == "primary"]
    assert len(prim) == 3 and {r["evidence"] for r in prim} == {"not_estimable"}
    assert moderation_sentence(prim[0], settings).endswith("could not be estimated.")


def test_no_predictor_and_mi_primary(settings):
    from dataclasses import replace
    s = replace(settings, primary="mi")
    rows = moderation_findings(_estimates(), _slopes(), JN, _status(predictor=""), s)
    assert [r["finding_id"] for r in rows] == ["moderation.idb.moderator",
                                               "moderation.idb.moderator@complete_case"]
    assert "stands_in:fiml" in rows[0]["caveats"]
    assert "missing_data.primary is mi" in rows[0]["message"]
    assert "showed no clear association with loneliness" in moderation_sentence(rows[0], s)


def test_missing_status_table_says_so(settings):
    rows = moderation_findings(None, None, None, None, settings)
    assert rows[0]["evidence"] == "not_estimable"
    assert "moderation_status.csv is missing" in rows[0]["message"]


def _anchor_slopes():
    rows = []
    for m in ("fiml", "complete_case"):
        for w, at, pos, est, lo, hi, within in (
                (1.0, "Strongly disagree", "low", 0.4, 0.1, 0.7, False),
                (4.0, "Neither agree nor disagree", "middle", 0.2, 0.05, 0.35, True),
                (7.0, "Strongly agree", "high", -0.5, -0.7, -0.3, True)):
            past = at.lower().replace("disagree", "disagreed").replace(" agree", " agreed")
            rows.append(dict(analysis="idb", method=m, at=at, w=w, est=est, se=0.1,
                             pvalue=0.01, ci_lower=lo, ci_upper=hi, ci_level=0.95,
                             within_observed=within, probe="anchors", position=pos, label=at,
                             who=f"who {past} that they identified with their group"))
    return pd.DataFrame(rows)


def test_anchor_probes_pick_the_extremes_and_say_the_answer(settings):
    rows = moderation_findings(_estimates(), _anchor_slopes(), JN, _status(), settings,
                               {"loneliness": 1.5})
    high, low = rows[1], rows[2]
    assert (high["estimate"], low["estimate"]) == (-0.5, 0.4)
    assert high["term"] == "slope at Strongly agree"
    assert "_who" in high and all(not k.startswith("_") for k in COLUMNS)
    assert moderation_sentence(high, settings).startswith(
        "For people who strongly agreed that they identified with their group (7), each extra "
        "point of group memberships between pathway entry and about 4 months was likely "
        "associated with lower loneliness")
    assert moderation_sentence(low, settings).startswith(
        "For people who strongly disagreed that they identified with their group (1, below the "
        "lowest score observed), each extra point")
