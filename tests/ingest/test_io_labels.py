"""SPSS/Stata value labels against the config's label maps (pipeline.ingest.labels)."""

from __future__ import annotations

import pandas as pd
import pytest
from io_helpers import read_sav

from pipeline.config import Scale
from pipeline.errors import InputFileError
from pipeline.ingest.labels import (
    check_value_labels,
    compare_value_labels,
    user_missing_codes,
    value_label_problems,
)
from pipeline.ingest.result import ReadResult, log_frame

AGREE7 = {"Strongly disagree": 1, "Disagree": 2, "Somewhat disagree": 3,
          "Neither agree nor disagree": 4, "Somewhat agree": 5, "Agree": 6, "Strongly agree": 7}
SCALE = Scale(key="gm", items=("gm1", "gm2"), range=(1.0, 7.0), label_map=AGREE7)


def test_compare_value_labels_reports_differences_not_missing_codes():
    r = read_sav()
    problems = compare_value_labels(
        r.meta["value_labels"], AGREE7, missing_codes=user_missing_codes(r.meta["user_missing"])
    )
    assert problems == [
        "column 'gm2': value label 'Neutral' (code 4) is not in the config label map"
    ]


def test_compare_value_labels_code_mismatch_and_case_insensitive():
    labels = {"x": {1: "strongly DISAGREE ", 2: "Agree"}}
    assert compare_value_labels(labels, AGREE7) == [
        "column 'x': value label 'Agree' has code 2 in the file but 6 in the config label map"
    ]


def test_label_matching_ignores_inner_white_space_as_the_cleaner_does():
    labels = {"x": {7: "Strongly   agree"}}
    assert compare_value_labels(labels, AGREE7) == []


def test_declared_user_missing_ranges_are_not_compared():
    labels = {"gm1": {"-99": "Refused", "6": "Agree"}}
    declared = {"gm1": [{"lo": -99, "hi": -90}]}
    conflicts, unknown = value_label_problems(labels, declared, {"gm": SCALE})
    assert conflicts == [] and unknown == []
    conflicts, unknown = value_label_problems(labels, {}, {"gm": SCALE})
    assert conflicts == [] and unknown == [
        "column 'gm1': value label 'Refused' (code -99) is not in the config label map"
    ]


def _result(value_labels) -> ReadResult:
    return ReadResult(data=pd.DataFrame(), log=log_frame(), meta={"value_labels": value_labels})


def test_a_label_with_another_code_is_refused():
    with pytest.raises(InputFileError, match="1 value labels whose codes differ"):
        check_value_labels(_result({"gm1": {"7": "Agree"}}), {"gm": SCALE}, file="t2.sav")


def test_an_unknown_label_is_logged_as_flagged():
    r = _result({"gm2": {"4": "Neutral"}})
    check_value_labels(r, {"gm": SCALE}, file="t2.sav")
    assert r.log["action"].tolist() == ["flagged"] and r.log["column"].tolist() == ["gm2"]
