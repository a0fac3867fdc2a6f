"""The pooled report's content model (pipeline/report/pooled_build.py and pooled_sections.py):
the scheme table prints counts as the public table does, every section of the spec is there,
caveats are honest, stand-in methods are named, nothing identifiable is printed."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from pooled_report_helpers import inputs, settings, small_counts

from pipeline.report.model import Bullets, Figure, Notice, Paragraph, Table
from pipeline.report.pooled_build import ALL, build_pooled_report, caveats, scheme_table
from pipeline.report.pooled_sections import (
    PooledInputs,
    change_section,
    crosslag_section,
    mechanism_section,
    not_pooled_section,
    path_words,
    plain,
    stand_in_notes,
)
from pipeline.report.pooled_settings import NO_DATE


def _blocks(section) -> list:
    out = list(section.blocks)
    for s in section.subsections:
        out += _blocks(s)
    return out


def _texts(report) -> str:
    parts = []
    for sec in report.sections:
        for b in _blocks(sec):
            if isinstance(b, (Paragraph, Notice)):
                parts.append(b.text)
            elif isinstance(b, Bullets):
                parts += b.items
            elif isinstance(b, Table):
                parts += [" ".join(r) for r in b.rows] + [b.note, b.caption]
            elif isinstance(b, Figure):
                parts += [b.caption, b.alt]
    return "\n".join(parts)


PUBLIC = pd.DataFrame({
    "scheme": ["a", "a", "a", "b", "b", ALL, ALL, ALL],
    "title": ["A town", "A town", "A town", "B city", "B city", "", "", ""],
    "wave": ["T0", "T1", "T2", "T0", "T1", "T0", "T1", "T2"],
    "wave_index": [0, 1, 2, 0, 1, 0, 1, 2],
    "entered": [200, 200, 200, 95, 95, 295, 295, 200],
    "responded": [200, 57, "<10", 95, "86-94", 295, "143-151", "<10"],
    "pct_entry": ["100.0%", "28.5%", "under 5%", "100.0%", "91-99%", "100.0%", "48-51%",
                  "under 5%"],
    "schemes": [1, 1, 1, 1, 1, 2, 2, 1]})


def test_scheme_table_prints_the_public_texts_and_the_totals_last():
    s = settings(schemes={"a": "A town (a)", "b": "B city (b)"})
    t = scheme_table(PUBLIC, s)
    assert t.header == ("Scheme", "Entered", "Answered at about 4 months (T1)",
                        "Answered at 6-9 months (T2)")
    assert t.rows == (("A town (a)", "200", "57 (28.5%)", "<10 (under 5%)"),
                      ("B city (b)", "95", "86-94 (91-99%)", "not a wave of this scheme"),
                      (ALL, "295", "143-151 (48-51%)", "<10 (under 5%)"))
    assert t.counts == (1, 2, 3)


def test_every_section_of_the_spec_in_order():
    report = build_pooled_report(inputs(), settings())
    assert report.section_keys() == ["summary", "pooled_schemes", "pooled_change",
                                     "pooled_mechanism", "pooled_crosslag", "pooled_tests",
                                     "pooled_not_pooled", "pooled_about"]
    change = report.sections[2]
    assert [s.key for s in change.subsections] == [
        "pooled_change_group_memberships", "pooled_change_belonging", "pooled_change_support",
        "pooled_change_loneliness", "pooled_change_qol"]
    lonely = change.subsections[3]
    fig = lonely.blocks[0]
    assert isinstance(fig, Figure) and fig.alt.startswith("Across the 2 schemes, loneliness")
    table = next(b for b in lonely.blocks if isinstance(b, Table))
    assert table.header[0] == "Change from entry to" and table.rows[0][1] == "2"
    assert table.rows[1][2] == "not pooled"
    # a figure the stage did not write is said, not dropped silently
    assert isinstance(change.subsections[0].blocks[0], Notice)


def test_the_date_line_is_left_out_when_no_date_is_set_never_a_config_hint():
    shown = dict(build_pooled_report(inputs(), settings()).meta)
    assert shown["Date"] == "2026-11-30"
    report = build_pooled_report(inputs(), settings(date=NO_DATE))
    assert "Date" not in dict(report.meta) and report.date == NO_DATE
    assert not any("pooled.report" in v or "not set" in v for _, v in report.meta)


def test_no_mechanism_or_crosslag_section_without_their_tables():
    report = build_pooled_report(inputs(drop=("pooled_mediation", "pooled_mediation_test",
                                              "pooled_crosslag", "pooled_crosslag_test")),
                                 settings(mediation=None))
    assert "pooled_mechanism" not in report.section_keys()
    assert "pooled_crosslag" not in report.section_keys()
    assert "pooled_tests" in report.section_keys()  # the change's Q tests are still there


def test_crosslag_section_pooled_paths_and_the_model_not_identified():
    sec = crosslag_section(inputs(), settings())
    said = [b.text for b in sec.blocks if isinstance(b, Paragraph)]
    assert said[0].startswith("The cross-lagged paths among group memberships")
    assert "(RI-CLPM) were not compared" in said[1] and "needs at least 3 waves" in said[1]
    table = next(b for b in sec.blocks if isinstance(b, Table))
    assert len(table.rows) == 20 and {r[0] for r in table.rows} == {"CLPM"}
    assert table.rows[0][1] == "Community belonging (T0) \u2192 Group memberships (T1)"


def test_mechanism_leads_with_the_scaled_test_beside_the_others_and_the_pooled_paths():
    sec = mechanism_section(inputs(), settings())
    text = " ".join(b.text for b in sec.blocks if isinstance(b, Paragraph))
    assert "(scaled likelihood-ratio test of equal paths, MLR: \u03c7\u00b2 = 33.81" in text
    assert "; likelihood-ratio test, ML: \u03c7\u00b2 = 24.26" in text
    assert "robust Wald test, MLR" in text
    table = next(b for b in sec.blocks if isinstance(b, Table))
    firsts = [r[0] for r in table.rows]
    assert firsts[0].startswith("a1: Group memberships") and "Total indirect effect" in firsts
    assert "(change from T0 to T1)" in firsts[0] and "change T0 T1" not in " ".join(firsts)
    assert any(f.startswith("c\u2032: ") for f in firsts)


def test_caveats_are_honest():
    out = caveats(inputs(), settings())
    assert out[0].startswith("Only 2 schemes are pooled") and "little power" in out[0]
    mixed = next(c for c in out if c.startswith("The pooled change mixes methods"))
    assert "table above" in mixed and "stood in" in mixed
    many = settings(schemes={f"s{i}": f"S{i}" for i in range(12)})
    assert not caveats(inputs(), many)[0].startswith("Only")


def test_stand_ins_are_named_with_the_plain_reason_only():
    notes = stand_in_notes(inputs(), settings(), "loneliness", 10)
    assert notes[0] == ("North pathway (north) at about 4 months (T1): inverse-probability "
                        "weighting (IPW) stands in for the primary method, full-information "
                        "maximum likelihood (FIML) (the FIML model could not be estimated on "
                        "these data).")
    qol = stand_in_notes(inputs(), settings(), "qol", 10)
    assert any("no estimate (too few people answered at T2 (fewer than 10))" in n for n in qol)
    assert not any("belonging_T0" in n for n in notes + qol)  # no analyst detail


def test_not_pooled_in_words():
    sec = not_pooled_section(inputs(), settings())
    items = sec.blocks[0].items
    assert items[0].startswith("Change in group memberships to 6-9 months (T2): 1 scheme has")
    assert any(i.startswith("Change in quality of life (EQ VAS) to 6-9 months (T2), North "
                            "pathway (north): ") for i in items)
    assert not any("(pooled." in i or "fiml" in i or "all_constructs" in i for i in items)
    assert "Cross-lagged paths (RI-CLPM): an RI-CLPM needs at least 3 waves" in " ".join(items)
    assert any(i.endswith("(north): too few people answered at T2 (fewer than 10)")
               for i in items)
    empty = PooledInputs(tables={})
    assert not_pooled_section(empty, settings()).blocks[0].text.startswith("Everything")


def test_a_small_count_in_a_stage_message_is_hidden():
    rows = pd.DataFrame({"construct": ["loneliness"], "wave": ["T1"], "scheme": ["north"],
                         "method": [None], "primary_method": ["fiml"], "status": [
                             "not_estimable"], "message": ["only 4 people answered at T1"]})
    inp = PooledInputs(tables={"pooled_change_schemes_public": rows})
    assert stand_in_notes(inp, settings(), "loneliness", 10) == [
        "North pathway (north) at about 4 months (T1): no estimate (only <10 people answered "
        "at T1)."]


def test_the_report_prints_no_small_count_and_no_id_column():
    report = build_pooled_report(inputs(), settings())
    text = _texts(report)
    assert small_counts(text, 10) == []
    assert "pid" not in text.lower().split()


def test_no_config_key_is_printed_for_a_funder():
    text = _texts(build_pooled_report(inputs(), settings()))
    assert "pooled.min_schemes" not in text and "pooling needs at least 2" in text
    assert plain("needs at least 2 (pooled.min_schemes); a range (e.g. 86-94)") == (
        "needs at least 2; a range (e.g. 86-94)")


def test_path_words():
    names = {"x": "Group memberships", "m": "Belonging", "#m1": "Belonging"}
    row = SimpleNamespace(lhs="m", op="~", rhs="x", label="a1")
    assert path_words(row, names) == "a1: Group memberships \u2192 Belonging"
    ind = SimpleNamespace(lhs="ind_1", op=":=", rhs="a1*b1", label="")
    assert path_words(ind, names) == "Indirect effect via Belonging"


def test_change_section_without_pooled_change_says_so():
    sec = change_section(PooledInputs(tables={}), settings())
    assert isinstance(sec.blocks[0], Notice) and "not estimable" in sec.blocks[0].text


def test_the_small_count_reader_itself():
    assert small_counts("5 people entered; 7 (3.5%) answered; n = 4; 3 of 200", 10) == [
        "5 people", "7 (3.5%)", "n = 4", "3 of 2"]
    assert small_counts("<10 people; 86-94 (91-99%); 12 (6%); \u22125 people; 0.5 of 1", 10) \
        == []
