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


def test_missing_keys_default_and_configured():
    from pipeline.text import missing_keys

    assert missing_keys() is MISSING_TOKENS and missing_keys(None) == MISSING_TOKENS
    assert missing_keys(["  Refused ", "Don't  KNOW"]) == {"", "refused", "don't know"}
    assert missing_keys([]) == {""}  # an empty cell is blank whatever the list says


@given(st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False)))
def test_code_key_makes_a_number_one_answer_however_written(x):
    from pipeline.text import code_key, number_text

    key = code_key(x)
    assert key == code_key(float(x)) == code_key(f" {number_text(x)} ") == code_key(repr(float(x)))
    assert code_key(str(x)) == key


def test_code_key_leaves_text_and_odd_numbers_as_text():
    from pipeline.text import code_key

    assert code_key(" Female ") == "female" and code_key("1_000") == "1_000"
    assert code_key("nan") == "nan" and code_key(float("nan")) == "nan" and code_key(True) == "true"
    assert code_key("02") == "2" and code_key("2.0") == "2" and code_key(2.0) == "2"
