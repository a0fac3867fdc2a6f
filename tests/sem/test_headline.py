"""The one headline rule (pipeline/sem/headline.py) that the by-arm tests (comparison wing) and
the across-scheme tests (pooled wing) share: scaled LR when computed, else robust Wald, else LR;
the LR row (its reason) when none was computed; a non-robust Wald test never leads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.sem.headline import (
    LR,
    PREFERENCE,
    ROBUST_WALD,
    SCALED_LR,
    headline_kind,
    mark_headline,
)

KINDS = (LR, SCALED_LR, ROBUST_WALD, "wald_ml")


def _rows(pairs):
    return [{"kind": k, "status": s} for k, s in pairs]


def test_the_order_of_preference():
    assert PREFERENCE == (SCALED_LR, ROBUST_WALD, LR)
    assert headline_kind({LR, SCALED_LR, ROBUST_WALD}, [LR, SCALED_LR, ROBUST_WALD]) == SCALED_LR
    assert headline_kind({LR, ROBUST_WALD}, [LR, SCALED_LR, ROBUST_WALD]) == ROBUST_WALD
    assert headline_kind({LR, "wald_ml"}, [LR, "wald_ml"]) == LR  # ML: the LR test
    assert headline_kind(set(), [SCALED_LR, LR]) == LR  # nothing computed: LR says why
    assert headline_kind(set(), [ROBUST_WALD]) == ROBUST_WALD
    assert headline_kind(set(), []) is None


def test_a_wald_test_with_ml_covariance_never_leads_while_another_test_was_computed():
    rows = _rows([("wald_ml", "ok"), (LR, "ok")])
    assert [r["headline"] for r in mark_headline(rows, lambda r: r["kind"])] == [False, True]


def test_the_input_is_not_changed_and_no_rows_give_none():
    rows = _rows([(LR, "ok")])
    assert mark_headline(rows, lambda r: r["kind"])[0]["headline"] is True
    assert "headline" not in rows[0]
    assert mark_headline([], lambda r: r["kind"]) == []


@given(st.lists(st.tuples(st.sampled_from(KINDS),
                          st.sampled_from(("ok", "not_estimable", "failed"))),
                min_size=1, max_size=4, unique_by=lambda p: p[0]))
def test_exactly_one_headline_and_it_is_the_preferred_computed_test(pairs):
    marked = mark_headline(_rows(pairs), lambda r: r["kind"])
    heads = [r for r in marked if r["headline"]]
    assert len(heads) == 1
    ok = [k for k, s in pairs if s == "ok"]
    preferred = [k for k in PREFERENCE if k in ok]
    if preferred:
        assert heads[0]["kind"] == preferred[0]
    elif LR in [k for k, _ in pairs]:
        assert heads[0]["kind"] == LR
    else:
        assert heads[0] is marked[0]
