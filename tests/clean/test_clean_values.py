"""Tests for pipeline.clean.values (cell-level parsing and checks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean.values import (
    clean_item,
    clean_numeric_covariate,
    is_integer_coded,
    parse_cells,
    parse_dates,
)
from pipeline.config import Covariate, Scale
from pipeline.text import MISSING_TOKENS

AGREE = {"Strongly disagree": 1, "Disagree": 2, "Neither": 4, "Agree": 6, "Strongly agree": 7}
LIKERT = Scale(
    key="s",
    items=("a", "b"),
    range=(1.0, 7.0),
    reverse=("b",),
    label_map=AGREE,
    label_map_name="agree7",
    missing_codes=(99.0,),
)
VAS = Scale(key="qol", items=("eq_vas",), range=(0.0, 100.0))


def test_parse_cells_numbers_labels_blanks_tokens():
    raw = pd.Series(
        ["5", " 7", "Strongly agree", "strongly  AGREE ", "", "n/a", "3.0", "junk", None]
    )
    p = parse_cells(raw, AGREE)
    assert p.value.tolist()[:4] == [5, 7, 7, 7]
    assert p.value.iloc[6] == 3
    assert p.kind.tolist() == [
        "number",
        "number",
        "label",
        "label",
        "blank",
        "token",
        "number",
        "unparsed",
        "blank",
    ]


def test_parse_cells_numeric_column_passthrough():
    p = parse_cells(pd.Series([1.0, np.nan, 99.0]), AGREE)
    assert p.kind.tolist() == ["number", "blank", "number"]
    assert p.text.iloc[2] == "99"


def test_clean_item_issues():
    raw = pd.Series(["5", "99", "0", "3.5", "junk", "Agree", ""], name="a")
    v, issue, _ = clean_item(raw, LIKERT)
    assert v.iloc[0] == 5 and v.iloc[5] == 6
    assert v.iloc[1:5].isna().all()
    assert issue.iloc[1] == "missing code"
    assert issue.iloc[2] == "out of range [1, 7]"
    assert issue.iloc[3] == "non-integer value on integer-coded scale"
    assert issue.iloc[4] == "text not in label map 'agree7'"
    assert issue.iloc[[0, 5, 6]].isna().all()


def test_clean_item_reverse_keys_configured_item_only():
    raw = pd.Series(["1", "7", "4", "Agree"])
    assert clean_item(raw.rename("b"), LIKERT)[0].tolist() == [7, 1, 4, 2]
    assert clean_item(raw.rename("a"), LIKERT)[0].tolist() == [1, 7, 4, 6]


def test_vas_accepts_decimals():
    v, issue, _ = clean_item(pd.Series(["55.5", "101", "x"], name="eq_vas"), VAS)
    assert v.iloc[0] == 55.5 and np.isnan(v.iloc[1])
    assert issue.iloc[2] == "not a number"
    assert not is_integer_coded(VAS) and is_integer_coded(LIKERT)


def test_covariates():
    age = Covariate(key="age", column="age", type="numeric", range=(16, 110))
    v, issue, _ = clean_numeric_covariate(pd.Series(["34", "200", "old", ""]), age)
    assert v.iloc[0] == 34 and v.iloc[1:].isna().all()
    assert issue.iloc[[0, 3]].isna().all()
    assert issue.iloc[1] == "out of range [16, 110]" and issue.iloc[2] == "not a number"


def test_parse_dates_iso_and_dayfirst():
    v, issue = parse_dates(
        pd.Series(["2024-03-05", "05/03/2024", "2024-03-05T10:22:00Z", "junk", ""])
    )
    assert v.iloc[0] == v.iloc[1] == pd.Timestamp("2024-03-05")
    assert v.iloc[2] == pd.Timestamp("2024-03-05 10:22")
    assert issue.iloc[3] == "unparseable date" and issue.drop(3).isna().all()


cells = st.one_of(
    st.integers(-5, 120).map(str),
    st.sampled_from(list(AGREE) + ["strongly AGREE ", " agree", "n/a", "", "3.5", "99", "junk"]),
    st.none(),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30))
def test_item_values_in_range_and_every_change_has_issue(xs):
    raw = pd.Series(xs, dtype=object, name="a")
    v, issue, p = clean_item(raw, LIKERT)
    assert ((v.dropna() >= 1) & (v.dropna() <= 7)).all()
    changed = (p.value.notna() | p.kind.eq("unparsed")) & v.isna()
    assert issue[changed].notna().all()
    assert issue[~changed].isna().all()


def test_label_mapped_to_null_means_no_answer():
    """A label configured as null (e.g. "Prefer not to say": null) is a missing answer, not a
    problem, and is not confused with a code."""
    import pandas as pd

    from pipeline.clean.values import parse_cells

    raw = pd.Series(["Agree", " prefer NOT to say ", "3", None], dtype=object)
    p = parse_cells(raw, {"Agree": 6, "Prefer not to say": None})
    assert p.value.iloc[0] == 6 and p.value.iloc[2] == 3
    assert pd.isna(p.value.iloc[1]) and p.kind.iloc[1] == "token"
    assert p.kind.iloc[3] == "blank"


def test_cell_text_never_invents_digits_beyond_int64():
    """Issue 13: the QC log showed 1.7e38 as -9223372036854775808."""
    import numpy as np
    import pandas as pd

    from pipeline.clean.values import cell_text

    out = cell_text(pd.Series([1.7e38, -1.797e308, 99.0, 1001.0, np.nan]))
    assert list(out[:4]) == ["1.7e+38", "-1.797e+308", "99", "1001"]
    assert pd.isna(out.iloc[4])


# --- configurable "no answer" words (cleaning.missing_words) ------------------------------------


def test_default_missing_words_are_the_old_fixed_set():
    raw = pd.Series(["n/a", " NA ", "-", "#N/A", "missing", "refused", ""], dtype=object)
    default = parse_cells(raw, AGREE)
    explicit = parse_cells(raw, AGREE, tuple(sorted(MISSING_TOKENS)))
    assert default.kind.tolist() == explicit.kind.tolist()
    assert default.kind.tolist() == ["token"] * 5 + ["unparsed", "blank"]


def test_configured_missing_words_replace_the_default():
    raw = pd.Series(["Refused", "n/a", "", "don't  KNOW"], dtype=object, name="a")
    words = ("refused", "Don't know")
    p = parse_cells(raw, AGREE, words)
    # the configured words are "no answer"; "n/a" is not one any more; empty stays blank
    assert p.kind.tolist() == ["token", "unparsed", "blank", "token"]
    v, issue, _ = clean_item(raw, LIKERT, missing_words=words)
    assert v.isna().all() and issue.notna().tolist() == [False, True, False, False]
    c, cissue, _ = clean_numeric_covariate(raw, Covariate(key="age", column="age", type="numeric"),
                                           missing_words=words)
    assert cissue.notna().tolist() == [False, True, False, False]
    d, dissue = parse_dates(raw, missing_words=words)
    assert dissue.notna().tolist() == [False, True, False, False]


# --- a wave exported on its own range (scales.<k>.range_by_wave) -------------------------------

SHIFTED = Scale(key="gm", items=("a", "b"), range=(1.0, 7.0), reverse=("b",), label_map=AGREE,
                missing_codes=(-99.0,), range_by_wave={"T1": (0.0, 6.0)})


def test_range_by_wave_shifts_numbers_before_range_check_and_reverse_keying():
    raw = pd.Series([0, 6, 3, 7, -99, np.nan], dtype=float, name="a")
    v, issue, p = clean_item(raw, SHIFTED, wave="T1")
    assert v.tolist()[:3] == [1, 7, 4]
    assert issue.iloc[3] == "out of range [1, 7]"  # 7 on a 0-6 export is 8: out of range
    assert issue.iloc[4] == "missing code"  # a missing code as written is not shifted
    assert p.shifted.tolist() == [True, True, True, True, False, False]
    rev, _, _ = clean_item(raw.rename("b"), SHIFTED, wave="T1")
    assert rev.tolist()[:3] == [7, 1, 4]  # 1 + 7 - (x + 1)


def test_range_by_wave_leaves_labels_and_other_waves_alone():
    raw = pd.Series(["Strongly agree", "0", "6"], dtype=object, name="a")
    v, issue, p = clean_item(raw, SHIFTED, wave="T1")
    assert v.tolist() == [7, 1, 7]  # the label is decoded to the configured code, not shifted
    assert p.shifted.tolist() == [False, True, True]
    v0, issue0, p0 = clean_item(raw, SHIFTED, wave="T0")
    assert p0.shifted is None and v0.iloc[0] == 7 and issue0.iloc[1] == "out of range [1, 7]"
    assert clean_item(raw, SHIFTED)[2].shifted is None  # no wave given: no shift


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.integers(-2, 9), st.none()), min_size=1, max_size=30))
def test_range_by_wave_maps_the_wave_range_exactly_onto_the_scale(xs):
    raw = pd.Series([np.nan if x is None else float(x) for x in xs], name="a")
    v, issue, _ = clean_item(raw, SHIFTED, wave="T1")
    for x, out, why in zip(xs, v, issue, strict=True):
        if x is not None and 0 <= x <= 6:
            assert out == x + 1 and pd.isna(why)
        elif x is not None:
            assert np.isnan(out) and why == "out of range [1, 7]"


CELLS = st.one_of(st.none(), st.sampled_from(["Agree", " agree ", "STRONGLY  agree", "n/a", "",
                                              " ", "7", "3.5", "1e2", "99", "Prefer not to say",
                                              "x"]),
                  st.text(max_size=5), st.integers(-3, 120), st.floats(allow_infinity=False))


@given(st.lists(CELLS, max_size=40))
@settings(max_examples=150, deadline=None)
def test_parse_cells_once_per_distinct_text_equals_parsing_each_cell(cells):
    """parse_cells parses each distinct text once (the clean stage at 100,000 rows): the
    result equals parsing every cell on its own, in value, kind and text."""
    raw = pd.Series(cells, dtype=object, name="a", index=range(10, 10 + len(cells)))
    label_map = {**AGREE, "Prefer not to say": None}
    p = parse_cells(raw, label_map)
    assert p.value.index.equals(raw.index) and p.kind.index.equals(raw.index)
    assert p.value.dtype == float and p.kind.dtype == object
    for i, cell in zip(raw.index, cells):
        one = parse_cells(pd.Series([cell], dtype=object, name="a"), label_map)
        assert p.kind[i] == one.kind.iloc[0]
        assert p.text[i] is pd.NA and one.text.iloc[0] is pd.NA or p.text[i] == one.text.iloc[0]
        v, w = p.value[i], one.value.iloc[0]
        assert (np.isnan(v) and np.isnan(w)) or v == w
