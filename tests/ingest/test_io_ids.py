"""Ids as text and the lost-leading-zeros detector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.ingest import detect_lost_leading_zeros
from pipeline.ingest.ids import id_to_text, ids_as_text


@pytest.mark.parametrize(
    "value, text",
    [
        (12, "12"),
        (12.0, "12"),
        (np.int64(7), "7"),
        ("0012", "0012"),
        (None, None),
        (np.nan, None),
        (1.5, "1.5"),
    ],
)
def test_id_to_text(value, text):
    assert id_to_text(value) == text


def test_ids_as_text_reports_numeric_storage():
    s, numeric = ids_as_text(pd.Series([1.0, "0002", None], dtype=object))
    assert list(s) == ["1", "0002", None] and numeric


@pytest.mark.parametrize(
    "ids, lost",
    [
        (["0001", 2, 3.0, "0004"], True),  # partly converted to numbers
        ([1, 2, 3, 10, 100], False),  # plain numbers: nothing to say
        (["0001", "0002", "0010"], False),  # consistently padded
        (["SP-0001", "SP-0002"], False),
        ([], False),
    ],
)
def test_detect_lost_leading_zeros(ids, lost):
    assert detect_lost_leading_zeros(ids) is lost


def test_detect_lost_leading_zeros_against_reference():
    assert detect_lost_leading_zeros([12, 345], reference_ids=["0012", "0345", "1234"]) is True
    assert detect_lost_leading_zeros(["0012"], reference_ids=["0012", "0345"]) is False
    assert detect_lost_leading_zeros([99], reference_ids=["0012"]) is False


def test_huge_numeric_ids_are_not_given_invented_digits():
    assert id_to_text(1.7e38) == "1.7e+38" and id_to_text(-1.7e38) == "-1.7e+38"
    assert id_to_text(np.float64(1234.0)) == "1234"
