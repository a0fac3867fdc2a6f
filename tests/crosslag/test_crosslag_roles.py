"""pipeline.crosslag.roles: the headline RI-CLPM, roles and Holm-adjusted cross-lagged paths.

Holm references from R:
    p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")   # 0.03 0.06 0.06 0.02
    p.adjust(c(0.01, 0.04), "holm")                # 0.02 0.04
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.crosslag.roles import Headline, add_holm, add_roles, choose_headline, role_of


def _lag(rows):
    cols = ["from", "to", "from_wave", "to_wave", "type", "label", "pvalue"]
    return pd.DataFrame(rows, columns=cols)


FREE = _lag([
    ("a", "b", "T0", "T1", "cross-lagged", "", 0.01),
    ("b", "a", "T0", "T1", "cross-lagged", "", 0.04),
    ("a", "b", "T1", "T2", "cross-lagged", "", 0.03),
    ("b", "a", "T1", "T2", "cross-lagged", "", 0.005),
    ("a", "a", "T0", "T1", "autoregressive", "", 1e-9),
])
STATIONARY = _lag([
    ("a", "b", "T0", "T1", "cross-lagged", "cl_a_to_b", 0.01),
    ("a", "b", "T1", "T2", "cross-lagged", "cl_a_to_b", 0.01),
    ("b", "a", "T0", "T1", "cross-lagged", "cl_b_to_a", 0.04),
    ("b", "a", "T1", "T2", "cross-lagged", "cl_b_to_a", 0.04),
    ("a", "a", "T0", "T1", "autoregressive", "ar_a", 1e-9),
])


def test_holm_within_a_free_model_matches_r():
    out = add_holm(FREE)
    assert list(out["pvalue_holm"][:4]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert (out["holm_m"][:4] == 4).all() and np.isnan(out["pvalue_holm"][4])


def test_stationary_family_counts_parameters_not_rows():
    out = add_holm(STATIONARY)
    assert list(out["pvalue_holm"][:4]) == pytest.approx([0.02, 0.02, 0.04, 0.04])
    assert (out["holm_m"][:4] == 2).all()


@pytest.mark.parametrize("ok, p, expected", [
    ({"free": True, "stationary": True}, 0.30, "stationary"),
    ({"free": True, "stationary": True}, 0.01, "free"),
    ({"free": True, "stationary": False}, None, "free"),
    ({"free": False, "stationary": True}, None, "stationary"),
    ({"free": True}, None, "free"),
    ({"free": False, "stationary": False}, None, None),
])
def test_headline_is_the_riclpm_stationary_where_the_lr_test_allows(ok, p, expected):
    h = choose_headline(ok, p, 0.05)
    assert h.constraint == expected and h.reason


def test_only_the_headline_model_has_findings():
    h = Headline("free", "test")
    head = add_roles(FREE, "riclpm", "free", h, 0.05)
    assert list(head["role"].unique()) == ["headline"] and not head["stationary"].any()
    # Holm 0.03, 0.06, 0.06, 0.02: two findings; the autoregressive path never is one
    assert list(head["finding"]) == [True, False, False, True, False]
    clpm = add_roles(FREE, "clpm", "free", h, 0.05)
    assert set(clpm["role"]) == {"comparison"} and not clpm["finding"].any()
    other = add_roles(STATIONARY, "riclpm", "stationary", h, 0.05)
    assert set(other["role"]) == {"comparison"} and other["stationary"].all()
    assert role_of("riclpm", "free", Headline(None, "none")) == "comparison"


def test_the_other_ri_clpm_names_the_headline_it_is_not():
    """A funder-eyed read: "not the headline (see the headline row of this analysis)" pointed
    at a row the report's table does not show; the note now names the headline."""
    from pipeline.crosslag.sentences import alternative_note

    assert alternative_note("free", "stationary") == (
        "RI-CLPM with free lagged effects: not the headline (the headline is the RI-CLPM with "
        "stationary lagged effects); shown for comparison.")
    assert "no RI-CLPM version was estimable" in alternative_note("stationary", None)


def test_the_stationarity_test_says_it_is_not_robust_scaled():
    """A reviewer's read: the fits are MLR, the LR test is the normal-theory difference of the
    ML chi-squares; the reason says so rather than pass for lavTestLRT's scaled test."""
    from pipeline.crosslag.roles import LR_KIND, choose_headline

    for p in (0.642, 0.01):
        reason = choose_headline({"free": True, "stationary": True}, p, 0.05).reason
        assert f"({LR_KIND})" in reason and "not robust-scaled" in reason
