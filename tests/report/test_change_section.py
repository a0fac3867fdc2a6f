"""The change section: the figure's alt text reads the means the figure draws (the primary
method's, change_primary_means.csv, when the change wing writes them, else the mixed model's);
the reliable-change table with "Meaningfully improved" beside it when a MID is known; the
score-band sentences; change estimates printed with decimals that fit the score."""

from __future__ import annotations

import pandas as pd
from report_helpers import DEMO, demo_config

from pipeline.report.blocks import findings_rows
from pipeline.report.change_section import BANDS_CAVEAT, _bands, _model_means, _rci_table
from pipeline.report.inputs import ReportInputs, WaveInfo
from pipeline.report.model import Notice, Table


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


def _rci_rows(construct="wellbeing", rci_status="ok", mid=True, source="preset"):
    """A public reliable-change table for one construct and wave: the three RCI categories
    and, with ``mid``, the meaningful-change row (as public_rci_shares writes them)."""
    ref = ("Maheswaran H, Weich S, Powell J, Stewart-Brown S. Evaluating the responsiveness "
           "of the WEMWBS. Health Qual Life Outcomes 2012;10:156.")
    cats = [("reliably_improved", "30", 0.25), ("no_reliable_change", "80", 0.667),
            ("reliably_deteriorated", "10", 0.083)]
    rows = [{"construct": construct, "wave": "T1", "category": c, "n": 120,
             "count": n if rci_status == "ok" else None, "share": s if rci_status == "ok"
             else None, "status": rci_status, "mid": 3.0 if mid else None,
             "mid_source": source if mid else "", "mid_reference": ref if mid else "",
             "message": "" if rci_status == "ok" else "no reliability for 'wellbeing': "
             "Cronbach's alpha does not apply to an index score"} for c, n, s in cats]
    if mid:
        rows.append({**rows[0], "category": "mid_improved", "count": "45", "share": 0.375,
                     "status": "ok", "message": ""})
    return pd.DataFrame(rows)


def test_meaningfully_improved_sits_beside_reliably_improved_with_its_source():
    t = _rci_table(_inputs({"change_rci_shares_public": _rci_rows()}), "wellbeing", "Wellbeing")
    assert t.header == ("Wave", "People with both scores", "Reliably improved",
                        "No reliable change", "Reliably deteriorated", "Meaningfully improved")
    assert t.rows[0][-1] == "45 (38%)" and t.rows[0][2] == "30 (25%)"
    assert t.note == ("Meaningfully improved: a change of at least 3 points in the better "
                      "direction (the minimal important difference; Maheswaran et al. 2012).")
    assert "meaningful change" in t.caption
    own = _rci_table(_inputs({"change_rci_shares_public": _rci_rows(source="config")}),
                     "wellbeing", "Wellbeing")
    assert own.note.endswith("(the minimal important difference, set by the study).")


def test_no_mid_no_column():
    t = _rci_table(_inputs({"change_rci_shares_public": _rci_rows(mid=False)}), "wellbeing",
                   "Wellbeing")
    assert "Meaningfully improved" not in t.header and t.note == ""


def test_meaningful_change_is_shown_when_reliable_change_is_not_estimable():
    t = _rci_table(_inputs({"change_rci_shares_public": _rci_rows(rci_status="not_estimable")}),
                   "wellbeing", "Wellbeing")
    assert isinstance(t, Table) and t.rows[0][-1] == "45 (38%)"
    assert t.header == ("Wave", "People with both scores", "Meaningfully improved")
    assert t.caption == "Wellbeing: meaningful change since entry (people with both scores)"
    assert "Reliable change: not estimable (no reliability estimate" in t.note
    assert "'wellbeing'" not in t.note
    none = _rci_rows(rci_status="not_estimable", mid=False)
    assert isinstance(_rci_table(_inputs({"change_rci_shares_public": none}), "wellbeing",
                                 "Wellbeing"), Notice)


def test_bands_sentence_and_where_the_bands_come_from():
    sent = pd.DataFrame({"construct": ["loneliness", "loneliness", "qol"],
                         "kind": ["reliable_change", "bands", "reliable_change"], "wave": "",
                         "sentence": ["Of the 177 ...", "Loneliness (UCLA-3): at entry 64% "
                                      "scored as lonely (6 or more); at about 4 months 51%.",
                                      "Of ..."]})
    ref = ("A common convention (6 or more of 9 read as lonely); other studies use 4 or more, "
           "so the share depends on the cut-off: cite the cut-off you follow.")
    bands = pd.DataFrame({"construct": ["loneliness"] * 2, "reference": [ref, ref]})
    inp = _inputs({"change_sentences": sent, "change_bands_public": bands})
    (p,) = _bands(inp, "loneliness")
    assert p.strong_lead == "Score bands."
    assert p.text == ("Loneliness (UCLA-3): at entry 64% scored as lonely (6 or more); at about "
                      "4 months 51%." + BANDS_CAVEAT + " Where the bands come from: A common "
                      "convention (6 or more "
                      "of 9 read as lonely); other studies use 4 or more, so the share depends on "
                      "the cut-off.")
    assert _bands(inp, "qol") == [] and _bands(_inputs({}), "loneliness") == []


def test_change_rows_print_decimals_by_the_score_kind():
    """A sum prints 1 decimal (2 when every value is under 1), an index 3; a mediation row
    keeps the range rule."""
    f = pd.DataFrame({"finding_id": ["a", "b", "c"], "kind": ["change", "change", "mediation"],
                      "construct": ["loneliness", "eq", "loneliness"], "method": "fiml",
                      "role": "primary", "estimate": [-1.36, 0.052, -1.36],
                      "ci_lower": [-2.04, 0.021, -2.04], "ci_upper": [-1.12, 0.083, -1.12],
                      "ci_label": "95% CI", "n_contributing": 630, "n_observed": 178,
                      "scale_min": [3, -0.285, 3], "scale_max": [9, 1, 9],
                      "evidence": "likely", "status": "ok"})
    rows = findings_rows(f, 10, {"loneliness": "sum", "eq": "index"})
    assert [r[3] for r in rows] == ["\u22121.4", "0.052", "\u22121.36"]
    assert rows[1][4] == "0.021 to 0.083"


def test_a_count_left_to_another_section_is_one_note_not_a_table_of_empty_rows():
    """A construct the change analysis does not run (a count, analysed under use of health
    services) gets one plain note: no "no row in change_primary.csv" sentence, no table of
    rows without estimates, and no line in the summary's "What changed"."""
    from pipeline.findings.table import finding_row, frame
    from pipeline.report.change_section import _construct
    from pipeline.report.front import summary_section

    inp = _inputs({"change_status": pd.DataFrame({
        "analysis": ["change"], "construct": ["qol"], "method": ["none"], "status": ["not_run"],
        "message": ["a count (healthcare.outcomes): analysed as a count by the healthcare wing, "
                    "not as a linear score"]})})
    inp.findings = frame([finding_row(
        finding_id="change.qol.T1", kind="change", role="primary", construct="qol", wave="T1",
        method="fiml", status="not_estimable", evidence="not_estimable",
        message="no row in change_primary.csv for this construct and wave",
        sentence="Change in quality of life could not be estimated: no row in change_primary.csv.",
        headline="Quality of life at about 4 months: the change could not be estimated.")])
    sec = _construct(inp, "qol")
    assert len(sec.blocks) == 1 and isinstance(sec.blocks[0], Notice)
    assert "section on use of health services" in sec.blocks[0].text
    assert ".csv" not in sec.blocks[0].text and "healthcare.outcomes" not in sec.blocks[0].text
    summary = summary_section(inp, None)
    rows = [r for b in summary.blocks if isinstance(b, Table) for r in b.rows]
    assert not any("could not be estimated" in r[0] for r in rows)


def test_with_a_comparison_group_the_summary_never_says_there_is_none():
    from pipeline.findings.table import finding_row, frame
    from pipeline.report.front import caveat_bullets

    rows = [finding_row(finding_id="change.qol.T1", kind="change", role="primary",
                        caveats="single_group;no_comparison;mar_assumption")]
    single = caveat_bullets(frame(rows))
    assert any("joined the programme and there is no comparison" in c for c in single)
    assert not any(c.startswith("There is no comparison") for c in single)  # said once
    alone = caveat_bullets(frame([finding_row(finding_id="change.qol.T1", kind="change",
                                              role="primary", caveats="single_group")]))
    assert any("no group who did not" in c for c in alone)
    both = caveat_bullets(frame(rows + [finding_row(
        finding_id="comparison.qol.T1", kind="comparison", role="primary",
        caveats="non_randomised")]))
    assert not any("no group who did not" in c or "no comparison" in c for c in both)
    assert not any("joined the programme and there is" in c for c in both)
    assert any("not randomised" in c for c in both)


def test_a_controlled_study_leads_its_summary_with_the_difference_in_change():
    """Issue 16: with a comparison group the difference in change is the headline: the summary
    has its own table of it before 'What changed', which says it is everyone together (found
    by reading the demo_controlled report: its summary had only the before-after change of
    both groups pooled, which a funder reads as the programme's effect). A single-group
    study's summary has no such table."""
    from pipeline.findings.table import finding_row, frame
    from pipeline.report.front import summary_section

    change = finding_row(finding_id="change.qol.T1", kind="change", role="primary",
                         construct="qol", wave="T1", evidence="may", status="ok",
                         headline="Quality of life at about 4 months: may have increased.")
    diff = finding_row(finding_id="comparison.qol.T1", kind="comparison", role="primary",
                       construct="qol", wave="T1", evidence="likely", status="ok",
                       headline="Quality of life likely rose more in the programme group; the "
                       "groups were not randomised, so this accounts for measured differences "
                       "between them only.")
    design = finding_row(finding_id="comparison.design", kind="comparison", role="primary",
                         status="ok", headline="Participants were not randomised.")
    inp = _inputs({})
    inp.findings = frame([change, diff, design])
    tables = [b for b in summary_section(inp, None).blocks if isinstance(b, Table)]
    captions = [t.caption for t in tables]
    assert captions.index("Compared with the comparison group: the difference in change") \
        < captions.index("What changed in everyone, both groups together")
    (comp,) = [t for t in tables if t.key == "summary_comparison"]
    # not the design sentence; the not-randomised clause once, under the table
    assert [r[0] for r in comp.rows] == ["Quality of life likely rose more in the programme "
                                         "group."]
    texts = [b.text for b in summary_section(inp, None).blocks if hasattr(b, "text")]
    assert sum("were not randomised" in t for t in texts) == 1
    inp.findings = frame([change])
    captions = [t.caption for t in summary_section(inp, None).blocks if isinstance(t, Table)]
    assert captions == ["What changed"]


def test_the_count_of_results_not_estimable_says_which_kind_it_counts():
    """The reviewer of the demo report counted the 'not estimable' notes and found the
    limitations' "1 planned result" wrong: the line now counts the findings table's rows and
    says how many are of the main analyses and how many of the methods beside them."""
    from pipeline.findings.table import finding_row, frame
    from pipeline.report.limitations import _failed

    inp = _inputs({})
    inp.findings = frame([
        finding_row(finding_id="a", kind="change", role="primary", evidence="not_estimable"),
        finding_row(finding_id="b", kind="change", role="sensitivity", evidence="not_estimable"),
        finding_row(finding_id="c", kind="change", role="sensitivity", evidence="not_estimable"),
        finding_row(finding_id="d", kind="change", role="primary", evidence="likely")])
    (line,) = _failed(inp)
    assert "1 result of the main analyses and 2 results of the other methods" in line
    assert "each is marked" in line
    inp.findings = frame([finding_row(
        finding_id="crosslag.x", kind="crosslag", role="primary", evidence="not_estimable",
        headline="Within-person cross-lagged model (x): could not be estimated.")])
    (line,) = _failed(inp)
    assert ("1 result of the main analyses (within-person cross-lagged model (x)) could not "
            "be estimated from these data; it is marked") in line


def test_a_reliable_change_reason_never_tells_a_funder_which_config_key_to_set():
    """Found in both demo reports: "no reliability for 'qol': ...; set change.reliability.qol
    to a published test-retest reliability" on a funder page. The analysts' table keeps it."""
    from pipeline.wording import plain_reason

    msg = ("no reliability for 'qol': Cronbach's alpha at entry is not estimable (single-item "
           "scale: internal consistency is not defined); set change.reliability.qol to a "
           "published test-retest reliability to classify reliable change")
    out = plain_reason(msg)
    assert out.startswith("no reliability estimate: Cronbach's alpha")
    assert "change.reliability" not in out and "'qol'" not in out
    assert plain_reason("fewer than 10 people") == "fewer than 10 people"


def test_the_summary_says_only_the_caveats_of_the_rows_it_shows():
    """A funder-eyed read: the summary's limitations named the classic cross-lagged model,
    which only the sensitivity rows use (the summary shows the primary rows)."""
    from pipeline.findings.table import finding_row, frame
    from pipeline.report.front import CAVEAT_WORDS, summary_section
    from pipeline.report.model import Bullets

    rows = [finding_row(finding_id="change.qol.T1", kind="change", role="primary",
                        construct="qol", wave="T1", estimate=1.0, ci_lower=0.5, ci_upper=1.5,
                        evidence="likely", status="ok", headline="QoL rose.",
                        caveats="single_group;mar_assumption"),
            finding_row(finding_id="crosslag.a.qol~gm.T1@clpm_free", kind="crosslag",
                        role="sensitivity", estimate=1.0, ci_lower=0.5, ci_upper=1.5,
                        evidence="may", status="ok", headline="CLPM path.",
                        caveats="clpm_confounds_stable_differences;exploratory")]
    base = _inputs({})
    sec = summary_section(ReportInputs(findings=frame(rows), waves=base.waves,
                                       scales=base.scales, min_cell=10, tables={}), None)
    said = [i for b in sec.blocks if isinstance(b, Bullets) for i in b.items]
    assert CAVEAT_WORDS["mar_assumption"] in said
    assert CAVEAT_WORDS["clpm_confounds_stable_differences"] not in said
    assert CAVEAT_WORDS["exploratory"] not in said


def test_the_tipping_point_is_not_a_row_of_the_findings_table():
    """A funder-eyed read: "Estimate 1.0, CI blank, How sure: no clear" for the tipping point
    inside the change table; it is said in the text, and the appendix lists it."""
    from pipeline.findings.table import finding_row, frame
    from pipeline.report.change_section import _construct

    rows = [finding_row(finding_id="change.qol.T1", kind="change", role="primary",
                        construct="qol", wave="T1", method="fiml", estimate=2.4, ci_lower=-0.5,
                        ci_upper=5.3, evidence="no_clear", status="ok", sentence="No change."),
            finding_row(finding_id="change.qol.T1@tipping", kind="change", role="sensitivity",
                        construct="qol", wave="T1", method="mi_delta_adjusted", estimate=1.0,
                        evidence="no_clear", status="ok", sentence="Tipping at 1 point.")]
    inp = _inputs({})
    inp.findings = frame(rows)
    sec = _construct(inp, "qol")
    (table,) = [b for b in sec.blocks if isinstance(b, Table) and b.key.startswith("findings")]
    assert len(table.rows) == 1 and table.rows[0][1] != "imputation, shifted (tipping point)"
    assert any("Tipping at 1 point." in getattr(b, "text", "") for b in sec.blocks)


def test_each_measure_is_said_in_words_before_its_results():
    """A funder-eyed read: "UCLA-3" and "EQ VAS" were never explained. Each construct's
    subsection opens with what was measured, with the instrument's citation when it is a
    published preset."""
    from pipeline.config import Scale
    from pipeline.report.change_section import measure_sentence

    ucla = Scale(key="loneliness", items=("a", "b", "c"), range=(1.0, 3.0), score="sum",
                 instrument="ucla3")
    assert measure_sentence(ucla, "Loneliness (UCLA-3)") == (
        "To measure loneliness (UCLA-3), people answered 3 questions, each from 1 to 3; the "
        "answers are added up to a score from 3 to 9 (Hughes et al. 2004).")
    vas = Scale(key="qol", items=("eq_vas",), range=(0.0, 100.0), instrument="eq_vas")
    assert measure_sentence(vas, "Quality of life") == (
        "To measure quality of life, people answered one question, from 0 (the worst health you "
        "can imagine) to 100 (the best health you can imagine); the score is the answer itself.")
    mean = Scale(key="belonging", items=("a", "b", "c"), range=(1.0, 7.0))
    assert measure_sentence(mean, "Belonging").endswith("from 1 to 7; the score is their "
                                                        "average.")
    rescaled = Scale(key="qol", items=("eq_vas",), range=(0.0, 10.0), instrument="eq_vas")
    assert "worst health" not in measure_sentence(rescaled, "Quality of life")
    swem = Scale(key="w", items=tuple("abcdefg"), range=(1.0, 5.0), score="lookup",
                 instrument="swemwbs")
    assert "added up and converted to a score from" in measure_sentence(swem, "Wellbeing")
    eq5d = Scale(key="eq5d", items=tuple("abcde"), range=(1.0, 5.0), score="index",
                 instrument="eq5d5l", value_set="england_devlin2018")
    assert "index score from \u22120.285 to 1 by a published table" in measure_sentence(
        eq5d, "Health (EQ-5D-5L)")
