"""Pooled tests' headline and the scaled LR row: the scaled LR test when computed, else the
robust Wald test, else the LR test; a scaled test that cannot be computed is a
``not_estimable`` row with the reason, never an exception. (The scaled test against lavaan:
``test_pooled_mediation.py`` and ``test_pooled_crosslag.py``.)"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pipeline.sem.multigroup as mg
from pipeline.errors import ModelError
from pipeline.pooled.scaled import TEST_ORDER, headline_row, mark_headline, scaled_row

STATUS = st.sampled_from(["ok", "not_estimable", "not_converged", "not_identified"])


@given(st.lists(STATUS, min_size=3, max_size=3))
def test_exactly_one_headline_and_the_preferred_test_that_ran(statuses):
    rows = [{"test": t, "status": s} for t, s in zip(TEST_ORDER, statuses)]
    marked = mark_headline(rows)
    assert sum(r["headline"] for r in marked) == 1
    head = headline_row(marked)
    ok = {t for t, s in zip(TEST_ORDER, statuses) if s == "ok"}
    want = next((t for t in ("lr_scaled_mlr", "wald_mlr", "lr_ml") if t in ok), "lr_ml")
    assert head["test"] == want
    assert headline_row(rows)["test"] == want  # unmarked rows: marked on the fly
    assert rows[0].get("headline") is None  # the input is not changed


def test_headline_of_nothing_is_none():
    assert headline_row([]) is None and mark_headline([]) == []


def test_a_negative_difference_scaling_factor_is_a_reason_not_an_error(monkeypatch):
    nan = float("nan")
    monkeypatch.setattr(mg, "scaled_lr_test_groups", lambda e, f: {
        "chisq_diff": nan, "df_diff": 4.0, "pvalue": nan, "scaling_factor": nan,
        "message": "the difference's scaling factor is negative (-0.3)."})
    row = scaled_row(object(), object())
    assert row["status"] == "not_estimable" and row["df_diff"] == 4.0
    assert row["message"] == ("scaled LR test: the difference's scaling factor is negative "
                              "(-0.3); the robust Wald test is the headline")
    assert "chisq_diff" not in row  # nothing to print


def test_a_failed_scaled_test_is_a_status(monkeypatch):
    def boom(e, f):
        raise ModelError("model x has status not_converged (no).")

    monkeypatch.setattr(mg, "scaled_lr_test_groups", boom)
    row = scaled_row(object(), object())
    assert row["status"] == "not_estimable"
    assert row["message"].startswith("scaled LR test: model x has status not_converged (no);")


def test_a_computed_scaled_test_is_ok(monkeypatch):
    monkeypatch.setattr(mg, "scaled_lr_test_groups", lambda e, f: {
        "chisq_diff": 10.0, "df_diff": 4.0, "pvalue": 0.04, "scaling_factor": 1.1,
        "message": ""})
    row = scaled_row(object(), object())
    assert row == {"chisq_diff": 10.0, "df_diff": 4.0, "pvalue": 0.04, "scaling_factor": 1.1,
                   "status": "ok", "message": ""}
    assert not math.isnan(row["scaling_factor"])


@pytest.mark.parametrize("test", TEST_ORDER)
def test_a_single_row_is_its_own_headline(test):
    assert mark_headline([{"test": test, "status": "failed"}])[0]["headline"]
