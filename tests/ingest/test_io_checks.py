"""Whole-column checks of one wave: shifted coding (one item, a scale pooled), unknown text
answers."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.config import Scale
from pipeline.errors import InputFileError
from pipeline.ingest import (
    check_coding_shift,
    check_label_answers,
    check_scale_coding,
    check_text_answers,
    raise_problems,
)


def test_coding_shift_down_is_refused():
    values = pd.Series([0, 1, 2, 3, 4, 5, 6] * 5)
    with pytest.raises(InputFileError) as exc:
        check_coding_shift(values, column="gm1", file="T2.sav", lo=1, hi=7)
    msg = str(exc.value)
    assert (
        "answers run 0-6" in msg and "5 of 35 answers are 0, none is 7" in msg and "T2.sav" in msg
    )


def test_coding_shift_up_is_refused():
    with pytest.raises(InputFileError, match="none is 1"):
        check_coding_shift(pd.Series([2, 3, 4, 8, 8, 8, 5]), column="x", file="f", lo=1, hi=7)


@pytest.mark.parametrize(
    "values",
    [
        [0, 1, 2, 3, 4, 5, 6, 7] * 5,  # zeros but also sevens: out-of-range values, not a shift
        [0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 2, 3, 4],  # a single 0
        ["Agree", "Disagree", None, "Agree", "Agree", "Agree"],  # labels: not numbers yet
        [0, 0, 1],  # too few answers to judge
    ],
)
def test_not_a_coding_shift(values):
    check_coding_shift(pd.Series(values, dtype=object), column="gm1", file="f", lo=1, hi=7)


def test_text_answers_all_listed_with_counts_and_rows():
    df = pd.DataFrame(
        {
            "gm1": ["Agree", "agre", "Strongly agree ", "agre", "5", None, "Not sure"],
            "lon1": ["Often", "Never", "often", None, None, None, None],
            "_source_row": [2, 3, 4, 5, 6, 7, 8],
        }
    )
    problems = check_text_answers(
        df, {"gm1": {"Agree": 6, "Strongly agree": 7}, "lon1": {"Often": 3}}
    )
    assert problems == [
        "column 'gm1': 'Not sure' (1x, rows 8) is not in the label map",
        "column 'gm1': 'agre' (2x, rows 3, 5) is not in the label map",
        "column 'lon1': 'Never' (1x, rows 3) is not in the label map",
    ]
    with pytest.raises(InputFileError, match="3 text answers not in the label maps") as exc:
        raise_problems(
            problems, file="T1.csv", what="text answers not in the label maps", advice="Add them."
        )
    assert str(exc.value).count("\n  - ") == 3


def test_raise_problems_with_none_is_silent():
    raise_problems([], file="f", what="x", advice="y")


def test_text_answers_accept_missing_words_and_inner_spaces():
    """The cleaner reads "n/a", "NA", "-" as missing and ignores inner spacing: the check agrees."""
    import pandas as pd

    from pipeline.ingest import check_text_answers

    df = pd.DataFrame({"gm1": ["n/a", "NA", "-", "Strongly   agree", "Agree strongly"],
                       "_source_row": [2, 3, 4, 5, 6]})
    problems = check_text_answers(df, {"gm1": {"Strongly agree": 7}})
    assert len(problems) == 1 and "Agree strongly" in problems[0] and "rows 6" in problems[0]


AGREE = Scale(key="gm", items=("gm1", "gm2", "gm3"), range=(1.0, 7.0),
              label_map={"Agree": 6.0, "Strongly agree": 7.0})


def test_a_scale_recoded_0_to_6_is_refused_on_its_items_pooled():
    # each item has only 2 zeros in 60 answers (< 5%), pooled 6 of 180 (>= 1%): a recode
    col = [0, 0] + [1, 2, 3, 4, 5, 6] * 9 + [1, 2, 3, 4]
    data = pd.DataFrame({"gm1": col, "gm2": col, "gm3": col})
    with pytest.raises(InputFileError, match=r"scale gm \(gm1, gm2, gm3\)"):
        check_scale_coding(data, {"gm": AGREE}, file="t0.csv")


def test_wide_range_scales_are_not_checked_for_coding_shifts():
    vas = Scale(key="vas", items=("v",), range=(0.0, 100.0))
    check_scale_coding(pd.DataFrame({"v": [-1] * 10 + [5] * 10}), {"vas": vas}, file="t0.csv")


def test_label_answers_refused_in_one_message():
    data = pd.DataFrame({"gm1": ["agree", "Nope"], "gm2": ["n/a", "Never"], "gm3": [6, 7],
                         "_source_row": [2, 3]})
    with pytest.raises(InputFileError, match="2 text answers that are not in the label map"):
        check_label_answers(data, {"gm": AGREE}, file="t0.csv")
