"""Text normalisation shared by ingest and clean (pipeline.text)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pipeline.text import MISSING_TOKENS, norm_label, norm_text


def test_norm_text_strips_collapses_and_casefolds():
    s = pd.Series(["  Strongly   AGREE ", None, "N/A"], dtype=object)
    out = norm_text(s)
    assert out.iloc[0] == "strongly agree" and pd.isna(out.iloc[1])
    assert out.iloc[2] in MISSING_TOKENS


@given(st.text(alphabet=st.sampled_from(list("aBc \t\nÄß")), max_size=12))
def test_norm_label_is_norm_text_of_one_value(text):
    assert norm_label(text) == norm_text(pd.Series([text], dtype=object)).iloc[0]


def test_number_text_never_invents_digits_beyond_int64():
    from pipeline.text import number_text, number_texts

    assert number_text(99.0) == "99" and number_text(1001) == "1001" and number_text(2.5) == "2.5"
    assert number_text(1.7e38) == "1.7e+38" and number_text(-1.7e38) == "-1.7e+38"
    assert number_text(-1.7976931348623157e308) == "-1.7976931348623157e+308"
    assert number_text(float("nan")) == "nan"
    out = number_texts(pd.Series([99.0, 1.7e38, -1.7e38, None, 2.5]))
    assert out.iloc[:3].tolist() == ["99", "1.7e+38", "-1.7e+38"]
    assert pd.isna(out.iloc[3]) and out.iloc[4] == "2.5"
    assert "-9223372036854775808" not in out.dropna().tolist()
