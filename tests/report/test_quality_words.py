"""The data-quality appendix in a reader's words: no config key, formula or code name of the
clean stage reaches the report; reasons that read the same are one row, counted before the
suppression; the actions in the order of what happened to the rows."""

from __future__ import annotations

import pandas as pd
import pytest
from report_helpers import DEMO

from pipeline.report.appendix import quality_appendix
from pipeline.report.inputs import ReportInputs, WaveInfo
from pipeline.report.model import Table
from pipeline.report.quality_words import ACTION_WORDS, action_words, reason_words

JARGON = ("_", "min_items", " - x", "label map", "normalised", "keyed", "[", "baseline")


@pytest.mark.parametrize("reason, words", [
    ("score missing: fewer than min_items (2) answered",
     "fewer than 2 of the scale's questions answered"),
    ("score missing: all items missing", "none of the scale's questions answered"),
    ("out of range [0, 100]", "answer outside the possible 0 to 100"),
    ("reverse keyed: 8 - x",
     "reverse-worded question, scored the other way round (8 minus the answer)"),
    ("user_missing: Refused", "'Refused', a code the survey uses for a missing answer"),
    ("id not seen at baseline (T0)", "participant not among those at entry (T0)"),
    ("excluded by rule 'Progress < 100'", "excluded by the study's rule Progress < 100"),
    ("", ""),
    ("a reason from a newer clean_stage", "a reason from a newer clean stage"),
])
def test_reasons_in_words(reason, words):
    assert reason_words(reason) == words


def test_every_reason_and_action_of_the_demo_reads_without_jargon():
    dq = pd.read_csv(DEMO / "tables" / "data_quality.csv", keep_default_na=False)
    for reason in dq["reason"].unique():
        assert not any(j in reason_words(reason) for j in JARGON), reason
    for measure in dq["measure"].unique():
        assert measure in ACTION_WORDS and "_" not in action_words(measure)
    assert action_words("rows_new_kind") == "Rows new kind"


def _appendix(dq: pd.DataFrame) -> Table:
    inp = ReportInputs(findings=pd.DataFrame(), waves=(WaveInfo("T0", "Entry", 0.0),),
                       scales={}, min_cell=10, tables={"data_quality": dq})
    return next(b for b in quality_appendix(inp).blocks if isinstance(b, Table))


def test_reasons_that_read_the_same_are_one_row_counted_before_suppression():
    dq = pd.DataFrame({
        "wave": "T0", "file": "a.csv",
        "measure": ["cells_recoded", "cells_recoded", "cells_recoded", "rows_kept",
                    "rows_read"],
        "reason": ["label decoded via label map 'agree7'", "label decoded via label map "
                   "'ucla3'", "reverse keyed: 8 - x", "", ""],
        "n": [6, 7, 500, 400, 400]})
    rows = _appendix(dq).rows
    assert [r[1] for r in rows] == ["Responses in the export", "Responses kept",
                                    "Values recoded", "Values recoded"]
    labels = {r[2]: r[3] for r in rows if r[1] == "Values recoded"}
    # 6 and 7 alone would each be "<10"; as one reason they are 13 people's answers
    assert labels["answer exported as words (such as 'Agree'), turned into its number"] == "13"
