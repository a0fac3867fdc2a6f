"""The sections beyond the single-group chain (pipeline/report/more_sections.py): shown only
when the findings table has rows of their kind; sentences of the primary rows; one table of
every ok row with small counts suppressed; a notice for a primary row without a result."""

from __future__ import annotations

import pandas as pd

from pipeline.findings.table import finding_row, frame
from pipeline.report.inputs import ReportInputs, WaveInfo
from pipeline.report.model import Bullets, Notice, Table
from pipeline.report.more_sections import MORE_SPECS, more_section, more_sections


def _inputs(rows) -> ReportInputs:
    return ReportInputs(findings=frame(rows), waves=(WaveInfo("T0", "Entry", 0.0),
                                                     WaveInfo("T1", "4 months", 4.0)),
                        scales={}, min_cell=10)


def _row(kind, fid, role="primary", **kw):
    base = dict(finding_id=fid, kind=kind, role=role, method="fiml", estimate=-0.61,
                ci_lower=-0.95, ci_upper=-0.27, ci_label="95% CI", n_contributing=742,
                n_observed=400, evidence="clear",
                sentence=f"Sentence of {fid}." if role == "primary" else "")
    return finding_row(**{**base, **kw})


def test_no_rows_of_a_kind_no_section():
    inp = _inputs([_row("change", "change.loneliness.T1")])
    assert more_sections(inp) == []


def test_comparison_section_shows_sentences_table_and_suppresses_small_counts():
    where = dict(construct="loneliness", wave="T1", term="T1 - T0: programme - reference")
    rows = [_row("comparison", "comparison.loneliness.T1", **where),
            _row("comparison", "comparison.loneliness.T1@complete_case", role="sensitivity",
                 method="complete_case", n_contributing=7, n_observed=7, **where)]
    sec = more_section(_inputs(rows), MORE_SPECS[0])
    assert sec is not None and sec.key == "comparison"
    bullets = [b for b in sec.blocks if isinstance(b, Bullets)]
    assert bullets and bullets[0].items == ("Sentence of comparison.loneliness.T1.",)
    table = next(b for b in sec.blocks if isinstance(b, Table))
    assert [r[0] for r in table.rows] == [  # in words, not the ids
        "loneliness: 4 months vs entry, programme group minus reference group"] * 2
    assert table.rows[0][3] == "−0.61" and table.rows[0][5] == "742"
    assert "7" not in table.rows[1][5:7]  # a count under min_cell is never printed


def test_a_primary_row_without_a_result_is_a_notice_not_a_table_row():
    rows = [_row("healthcare", "healthcare.gp_visits.T1", status="not_estimable",
                 message="too few people with a count at both waves", estimate=float("nan"))]
    sec = more_section(_inputs(rows), MORE_SPECS[1])
    notices = [b for b in sec.blocks if isinstance(b, Notice)]
    assert notices and "too few people" in notices[0].text
    assert not [b for b in sec.blocks if isinstance(b, Table)]


def test_sections_follow_the_spec_order():
    rows = [_row("moderation", "moderation.a"), _row("comparison", "comparison.b")]
    assert [s.key for s in more_sections(_inputs(rows))] == ["comparison", "moderation"]


def test_findings_frame_is_what_the_report_reads():
    inp = _inputs([_row("comparison", "comparison.x")])
    assert isinstance(inp.findings, pd.DataFrame) and len(inp.findings_of("comparison")) == 1


def _comparison_tables() -> dict[str, pd.DataFrame]:
    flow = pd.DataFrame({"arm": ["SP", "SP", "UC", "UC"], "role": ["programme"] * 2 + [
        "reference"] * 2, "wave": ["T0", "T1"] * 2, "entered": [500, 500, 250, 250],
        "answered": [500, 400, 250, "<10"], "not_answered": [0, 100, 0, "[c]"],
        "pct_answered": [100, 80, 100, "[c]"]})
    balance = pd.DataFrame({
        "variable": ["age", "gender", "gender", "loneliness_T0"], "level": ["", "Man", "Other",
                                                                            ""],
        "kind": ["mean", "share", "share", "mean"], "mean_programme": [52.1, 0.4, "[c]", 6.1],
        "mean_reference": [49.0, 0.45, 0.02, 5.5], "smd_before": [0.25, -0.1, 0.05, 0.4],
        "smd_after": [4e-16, -1.2e-16, "[c]", 0.0], "weighting": ["overlap"] * 4})
    sent = pd.DataFrame({"kind": ["design", "mechanism"], "sentence": [
        "Design words.", "Whether the chain differs between the arms: no evidence ..."]})
    test = pd.DataFrame({"analysis": ["social_cure_chain"] * 2, "model": ["serial mediation"] * 2,
                         "test": ["likelihood ratio", "robust Wald"], "chisq": [6.64, 6.69],
                         "df": [10, 10], "pvalue": [0.76, 0.75], "headline": [False, True],
                         "status": ["ok", "ok"]})
    cl = pd.DataFrame({"analysis": ["pair"], "model": ["RI-CLPM"], "test": ["likelihood ratio"],
                       "chisq": [float("nan")], "df": [float("nan")], "pvalue": [float("nan")],
                       "headline": [True], "status": ["improper_solution"]})
    return {"comparison_flow_public": flow, "comparison_balance_public": balance,
            "comparison_sentences": sent, "comparison_mediation_test": test,
            "comparison_crosslag_test": cl}


def test_comparison_section_shows_flow_balance_and_the_by_arm_mechanism_tests():
    inp = _inputs([_row("comparison", "comparison.loneliness.T1")])
    inp.tables.update(_comparison_tables())
    inp.scales["loneliness"] = type("S", (), {"label": "Loneliness"})()
    sec = more_section(inp, MORE_SPECS[0])
    tables = {b.key: b for b in sec.blocks if isinstance(b, Table)}
    assert list(tables) == ["comparison_flow", "comparison_balance", "comparison_findings",
                            "comparison_mechanism_tests"]
    flow = tables["comparison_flow"]
    assert flow.rows[3][3] == "<10" and flow.rows[3][4] == "[c]" and flow.counts == (2, 3, 4)
    bal = tables["comparison_balance"].rows
    assert bal[1][0] == "gender (Man)" and bal[1][1] == "40%" and bal[2][1] == "[c]"
    assert bal[3][0] == "Loneliness at entry"
    assert [r[4] for r in bal] == ["0.00", "0.00", "[c]", "0.00"]  # no 1e-16 digits
    mech = tables["comparison_mechanism_tests"].rows
    assert mech[0] == ("social cure chain", "serial mediation", "robust Wald", "6.69", "10",
                       "0.75")
    assert len(mech) == 1  # the RI-CLPM that could not be estimated is said in words
    bullets = [b.items for b in sec.blocks if isinstance(b, Bullets)]
    untested = [i for items in bullets for i in items if "could not be tested" in i]
    assert untested == [
        "Whether the paths of the random-intercept cross-lagged model 'pair' differ between the "
        "programme group and the comparison group could not be tested: the model could not be "
        "estimated for this comparison, because the model gave an impossible value, such as a "
        "variance below zero, which usually means too few people for the model's size."]
    assert not any(c in ("NA", "nan", "") for r in mech for c in r)
    assert ("Whether the chain differs between the arms: no evidence ...",) in bullets
