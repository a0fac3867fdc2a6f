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


def test_apply_id_pattern_repads_flags_and_leaves_missing_ids_alone():
    from pipeline.clean.pseudonym import apply_id_pattern

    ids = pd.Series(["SP0012", "sp12", " SP 7", "AB1", "NA", None, "SP12345"])
    r = apply_id_pattern(ids, r"SP\d{4}")
    assert r.ids.tolist()[:4] == ["SP0012", "sp0012", "SP0007", "AB1"]
    assert r.as_written.tolist()[1] == "sp12"
    assert r.repadded.tolist() == [False, True, True, False, False, False, False]
    assert r.unmatched.tolist() == [False, False, False, True, False, False, True]
    numbers = apply_id_pattern(pd.Series([12.0, 1234, 5]), r"\d{4}")
    assert numbers.ids.tolist() == ["0012", "1234", "0005"]


def test_apply_id_pattern_without_a_pattern_changes_nothing():
    from pipeline.clean.pseudonym import apply_id_pattern

    r = apply_id_pattern(pd.Series(["a 1", None]), None)
    assert r.ids.tolist()[0] == "a 1" and not r.repadded.any() and not r.unmatched.any()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["SP", "sp", "Sp"]), st.integers(0, 9999),
                          st.booleans()), min_size=1, max_size=20))
def test_ids_that_lost_leading_zeros_are_restored_to_the_padded_id(rows):
    """Property: an id written with or without its leading zeros normalises to the same id
    once re-padded, and every present id then matches the pattern."""
    from pipeline.clean.pseudonym import apply_id_pattern

    written = [f"{p}{k}" if lost else f"{p}{k:04d}" for p, k, lost in rows]
    r = apply_id_pattern(pd.Series(written), r"SP\d{4}")
    assert normalise_id(r.ids).tolist() == [f"sp{k:04d}" for _, k, _ in rows]
    assert not r.unmatched.any()
    assert r.repadded.tolist() == [lost and k < 1000 for _, k, lost in rows]
