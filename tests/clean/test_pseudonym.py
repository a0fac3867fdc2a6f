"""Tests for pipeline.clean.pseudonym."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean.pseudonym import normalise_id, pseudonymise
from pipeline.errors import ConfigError, DataError


def test_normalise_id_strips_removes_inner_space_and_casefolds():
    s = pd.Series([" AB 12 ", "ab12", "Ab\t12", "ÄB12", "", "   ", None])
    out = normalise_id(s)
    assert out.iloc[:3].tolist() == ["ab12", "ab12", "ab12"]
    assert out.iloc[3] == "äb12"
    assert out.iloc[4:].isna().all()


def test_normalise_id_numbers_lose_trailing_zero():
    assert normalise_id(pd.Series([1001.0, 12.5, None])).iloc[:2].tolist() == ["1001", "12.5"]
    assert normalise_id(pd.Series([7, 8])).tolist() == ["7", "8"]


def test_pseudonymise_format_deterministic_and_salted():
    ids = normalise_id(pd.Series(["ab12", "AB 12", "cd34", None]))
    p1, p2 = pseudonymise(ids, "salt"), pseudonymise(ids, "salt")
    assert p1.iloc[:3].str.fullmatch(r"p_[0-9a-f]{16}").all()
    assert p1.iloc[0] == p1.iloc[1] != p1.iloc[2]
    assert p1.iloc[3] is pd.NA
    assert p1.equals(p2)
    assert pseudonymise(ids, "other").iloc[0] != p1.iloc[0]


def test_pseudonymise_known_value():
    # sha256("salt:ab12") computed independently
    import hashlib

    expect = "p_" + hashlib.sha256(b"salt:ab12").hexdigest()[:16]
    assert pseudonymise(pd.Series(["ab12"]), "salt").iloc[0] == expect


def test_pseudonymise_needs_salt():
    with pytest.raises(ConfigError, match="salt"):
        pseudonymise(pd.Series(["a"]), "")


def test_pseudonymise_collision_is_an_error(monkeypatch):
    import pipeline.clean.pseudonym as ps

    monkeypatch.setattr(ps, "PID_HEX_CHARS", 0)  # every id hashes to "p_"
    with pytest.raises(DataError, match="collision"):
        ps.pseudonymise(pd.Series(["a", "b"]), "salt")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="aAbB1 \t", max_size=6), max_size=20))
def test_normalise_is_idempotent_and_never_keeps_whitespace(ids):
    n = normalise_id(pd.Series(ids, dtype=object))
    assert normalise_id(n).equals(n)
    assert not n.dropna().str.contains(r"\s").any()
    assert not (n.dropna() == "").any()


def test_missing_value_words_are_not_ids():
    """'NA', 'n/a', '-' in the id column are missing ids, not one shared fake participant."""
    import pandas as pd

    from pipeline.clean.pseudonym import normalise_id

    out = normalise_id(pd.Series(["NA", " n/a ", "-", ".", "None", "SP-0001", "nan1"]))
    assert out.isna().tolist() == [True, True, True, True, True, False, False]
