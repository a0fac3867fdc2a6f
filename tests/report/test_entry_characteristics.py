"""Who joined (TREND 14, STROBE 14a): the characteristics at entry in the participant-flow
section, every number the public baseline table's own (nothing new is published) and every
mark it holds kept and explained."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from report_helpers import DEMO, demo_config

from pipeline.report.entry_characteristics import characteristics_table, entry_stat
from pipeline.report.flow_section import flow_section
from pipeline.report.inputs import ReportInputs, WaveInfo
from pipeline.report.model import Paragraph, Table

PUBLIC = DEMO / "tables" / "descriptives_baseline_public.csv"


def _inputs(public: pd.DataFrame | None, **tables) -> ReportInputs:
    cfg = demo_config()
    if public is not None:
        tables["descriptives_baseline_public"] = public
    return ReportInputs(findings=pd.read_csv(DEMO / "findings.csv"),
                        waves=(WaveInfo("T0", "Pathway entry", 0.0),
                               WaveInfo("T1", "About 4 months", 4.0)),
                        scales=cfg.scales, min_cell=10, tables=tables)


@pytest.fixture(scope="module")
def public() -> pd.DataFrame:
    return pd.read_csv(PUBLIC, dtype=object, keep_default_na=False)


def test_rows_of_the_demo_study(public):
    t = characteristics_table(_inputs(public))
    rows = {r[0].strip("\u2003 "): r for r in t.rows}
    assert t.header == ("Characteristic", "People", "Mean", "SD", "Number", "%")
    assert rows["Age (years)"] == ("Age (years)", "630", "54.3", "16.2", "", "")
    assert rows["Gender"][1] == "630"
    assert rows["Woman"][4:] == ("403", "64%") and rows["Man"][4:] == ("204", "32%")
    # the public table hides the few without a score: the range and "[c]" stay as they are
    assert rows["Community belonging, score 1\u20137"][1:4] == ("621-629", "4.1", "[c]")
    assert rows["Quality of life (EQ VAS), score 0\u2013100"][1:4] == ("619", "61.4", "19.4")
    assert t.counts == (1, 4)
    assert "A range of people" in t.note and "[c]" in t.note and "<10" not in t.note


def test_no_number_that_the_public_table_does_not_hold(public):
    """Every number printed is a number of the public table, at its precision or coarser."""
    held = set()
    for v in public[["n", "mean", "sd", "count", "percent"]].to_numpy().ravel():
        held.update(re.findall(r"\d+(?:\.\d+)?", str(v)))
    values = [float(x) for x in held]
    t = characteristics_table(_inputs(public))
    for row in t.rows:
        for cell in row[1:]:
            for num in re.findall(r"\d+(?:\.\d+)?", cell.replace("%", "")):
                places = len(num.partition(".")[2])
                assert any(round(v, places) == float(num) for v in values), (row, num)


def test_small_counts_and_marks_are_explained(public):
    small = public.copy()
    small.loc[small["level"] == "Non-binary / other", ["count", "percent"]] = ["<10", "[c]"]
    t = characteristics_table(_inputs(small))
    row = next(r for r in t.rows if r[0].endswith("Non-binary / other"))
    assert row[4:] == ("<10", "[c]")
    assert "<10: fewer than 10." in t.note


def test_scores_left_to_the_change_section_when_asked(public):
    t = characteristics_table(_inputs(public), scales=False)
    assert [r[0].strip("\u2003 ") for r in t.rows] == [
        "Age (years)", "Gender", "Man", "Non-binary / other", "Woman"]
    assert "A range of people" not in t.note
    assert characteristics_table(_inputs(None)) is None
    only_scores = public[~public["variable"].isin(["age", "gender"])]
    assert characteristics_table(_inputs(only_scores), scales=False) is None


def test_entry_stat_keeps_marks_and_the_public_precision():
    assert entry_stat("[c]", 2) == "[c]" and entry_stat(4.7308, 2) == "4.73"
    assert entry_stat("4.1", 2, coarse=True) == "4.1" and entry_stat(4.1, 2) == "4.10"


def test_flow_section_shows_who_joined_and_says_the_numbers_once(public):
    flow = pd.read_csv(DEMO / "tables" / "attrition_flow_public.csv")
    inp = _inputs(public, attrition_flow_public=flow)
    inp.summaries["attrition"] = {"sentence": "Of 630 people who joined, 178 (28%) answered "
                                              "... Compared with those who did not, ...",
                                  "comparison": "Compared with those who did not, ..."}
    blocks = flow_section(inp).blocks
    keys = [b.key for b in blocks if isinstance(b, Table)]
    assert keys == ["flow_table", "entry_characteristics"]
    stayed = next(b for b in blocks if isinstance(b, Paragraph)
                  and b.strong_lead == "Who stayed and who left.")
    assert stayed.text == "Compared with those who did not, ..."
    del inp.summaries["attrition"]["comparison"]  # a result tree from before: the sentence
    stayed = next(b for b in flow_section(inp).blocks if isinstance(b, Paragraph)
                  and b.strong_lead == "Who stayed and who left.")
    assert stayed.text.startswith("Of 630 people who joined")
