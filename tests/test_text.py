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
