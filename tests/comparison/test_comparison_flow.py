"""pipeline.comparison.flow: counts per arm and wave, small counts hidden in the public copy."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.comparison.flow import arm_flow, public_flow


def _flow(n_prog: int, n_ref: int, ans_prog: int, ans_ref: int) -> pd.DataFrame:
    frame = pd.DataFrame({"P": [1.0] * n_prog + [0.0] * n_ref})
    resp = pd.DataFrame({"responded_T0": [True] * (n_prog + n_ref),
                         "responded_T1": [True] * ans_prog + [False] * (n_prog - ans_prog)
                         + [True] * ans_ref + [False] * (n_ref - ans_ref)})
    return arm_flow(frame, resp, "P", {1: "Programme", 0: "Usual care"}, ["T0", "T1"],
                    {"T0": "Entry", "T1": "4 months"})


def test_counts_per_arm_and_wave():
    f = _flow(50, 30, 40, 25)
    t1 = f[f["wave"] == "T1"].set_index("arm")
    assert t1.loc["Programme", ["entered", "answered", "not_answered"]].tolist() == [50, 40, 10]
    assert t1.loc["Usual care", "pct_answered"] == pytest.approx(100 * 25 / 30)
    assert (f[f["wave"] == "T0"]["not_answered"] == 0).all()


def test_small_counts_are_hidden_with_a_partner():
    pub = public_flow(_flow(50, 30, 46, 25), min_cell=10)
    t1 = pub[pub["wave"] == "T1"].set_index("arm")
    assert t1.loc["Programme", "not_answered"] == "<10"
    # not answered = entered - answered: the programme's answered count is hidden too
    assert t1.loc["Programme", "answered"] in ("<10", "[c]")
    assert t1.loc["Programme", "pct_answered"] == "[c]"
    assert not any(isinstance(v, (int, float)) and 0 < v < 10 for v in pub["answered"])


def test_an_arms_entrants_are_printed_alike_on_every_row():
    # a small arm's entrants hide the other arm's (the two add up to the study's, published):
    # a later row must not print the hidden count again (40 + the study's 47 -> 7)
    pub = public_flow(_flow(40, 7, 30, 5), min_cell=10)
    for arm, rows in pub.groupby("arm"):
        assert rows["entered"].nunique() == 1, arm
    assert set(pub.loc[pub["arm"] == "Usual care", "entered"]) == {"<10"}
    assert set(pub.loc[pub["arm"] == "Programme", "entered"]) == {"[c]"}


def test_the_mechanism_sentences_read_the_public_flows_exact_counts_as_numbers():
    # the public flow prints large arms as ints: the sentence gives them (or bounds), not a mark
    from pipeline.comparison.mechanisms import _sizes

    pub = public_flow(_flow(40, 30, 30, 20), min_cell=10)
    first = pub.drop_duplicates("arm")
    entered = dict(zip(first["arm"], first["entered"]))
    assert _sizes({"n_programme": 40, "n_reference": 30}, entered, "Programme",
                  "Usual care") == "40 and 30 people"
    assert _sizes({"n_programme": 38, "n_reference": 30}, entered, "Programme",
                  "Usual care") == "at most 40 and 30 people"
