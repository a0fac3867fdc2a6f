"""Tests for pipeline.change.rci: hand-computed RCI case, shares with Wilson CIs, reliability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.change.rci import (
    alpha_problems,
    public_rci_shares,
    rci_shares,
    reliability_from_table,
    reliable_change,
    resolve_reliability,
    short_citation,
)
from pipeline.change.sentences import rci_sentence
from pipeline.errors import DataError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "change"
WAVES = ["T0", "T1"]


@pytest.fixture
def hand():
    long = pd.read_csv(FIX / "rci_hand.csv", dtype={"pid": str})
    long = long.rename(columns={"score": "s"})
    sd0 = long.loc[long["wave"] == "T0", "s"].std(ddof=1)
    r = 1 - 1 / sd0**2  # makes S_diff = sqrt(2) exactly
    expected = pd.read_csv(FIX / "rci_hand_expected.csv", dtype={"pid": str})
    return long, r, expected


def test_hand_rci_values_and_categories(hand):
    long, r, exp = hand
    ind, info = reliable_change(long, ["s"], WAVES, {"s": r}, mids={"s": 2.5})
    assert info.loc[0, "sd_baseline"] == pytest.approx(np.sqrt(40.8333333333333 / 5), rel=1e-12)
    assert info.loc[0, "s_diff"] == pytest.approx(np.sqrt(2), rel=1e-12)
    got = ind.set_index("pid").loc[exp["pid"]]
    np.testing.assert_allclose(got["diff"], exp["diff"], atol=1e-12)
    np.testing.assert_allclose(got["rci"], exp["rci"], rtol=1e-12)
    assert list(got["category"]) == list(exp["category_higher_better"])
    assert list(got["mid_improved"].astype(bool)) == list(exp["mid_improved_higher_better"])
    assert set(ind["pid"]) == {"a", "b", "c", "d", "e"}  # f (no baseline), g (no follow-up) out


def test_hand_rci_lower_is_better_swaps(hand):
    long, r, exp = hand
    ind, _ = reliable_change(long, ["s"], WAVES, {"s": r}, higher_is_better={"s": False})
    got = ind.set_index("pid").loc[exp["pid"]]
    assert list(got["category"]) == list(exp["category_lower_better"])


def test_hand_shares_counts_and_wilson(hand):
    long, r, _ = hand
    ind, info = reliable_change(long, ["s"], WAVES, {"s": r}, mids={"s": 2.5})
    sh = rci_shares(ind, info, WAVES, min_cell=5).set_index("category")
    assert sh.loc["reliably_improved", "count"] == 2
    assert sh.loc["no_reliable_change", "count"] == 2
    assert sh.loc["reliably_deteriorated", "count"] == 1
    assert sh.loc["mid_improved", "count"] == 3
    assert (sh["n"] == 5).all() and (sh["flag"] == "").all() and (sh["status"] == "ok").all()
    # Wilson interval for 2/5 (Newcombe 1998, Table I: 0.1176 to 0.7693)
    assert sh.loc["reliably_improved", "ci_lower"] == pytest.approx(0.1176, abs=5e-5)
    assert sh.loc["reliably_improved", "ci_upper"] == pytest.approx(0.7693, abs=5e-5)


def test_shares_of_fewer_than_min_cell_people_are_not_estimable(hand):
    long, r, _ = hand
    ind, info = reliable_change(long, ["s"], WAVES, {"s": r}, mids={"s": 2.5})
    sh = rci_shares(ind, info, WAVES, min_cell=10)
    assert (sh["status"] == "not_estimable").all() and (sh["flag"] == "small_n").all()
    assert sh[["count", "share", "ci_lower", "ci_upper"]].isna().all().all()
    assert (sh["n"] == 5).all()  # the analyst table keeps the plain n
    assert (sh["message"] == "too few people answered at both T0 and T1 (fewer than 10); "
                             "reliable change is not estimated").all()
    s = rci_sentence(sh, "s", "T1", label="Community belonging", wave_phrase="at about 4 months")
    assert s == ("Too few people answered at about 4 months to describe individual change in "
                 "community belonging.")
    # also when the reliability is missing (single item) the reason given is the small number
    ind, info = reliable_change(long, ["s"], WAVES, {})
    sh = rci_shares(ind, info, WAVES, min_cell=10)
    assert (sh["status"] == "not_estimable").all() and "too few people" in sh["message"].iloc[0]
    assert rci_sentence(sh, "s", "T1", label="EQ VAS", wave_phrase="at 7 months").startswith(
        "Too few people answered at 7 months")


def test_rci_sentence_ok_and_not_assessable(hand):
    long, r, _ = hand
    ind, info = reliable_change(long, ["s"], WAVES, {"s": r})
    sh = rci_shares(ind, info, WAVES, min_cell=2)
    s = rci_sentence(sh, "s", "T1", label="Belonging", wave_phrase="at 4 months", min_cell=2)
    assert s.startswith("Of the 5 people with belonging scores at entry and at 4 months, 40%")
    assert s.endswith("fewer than 2 people reliably deteriorated.")
    ind, info = reliable_change(long, ["s"], WAVES, {})
    sh = rci_shares(ind, info, WAVES, min_cell=2)
    s = rci_sentence(sh, "s", "T1", label="Belonging", wave_phrase="at 4 months", min_cell=2)
    assert "could not be assessed" in s and "alpha at entry is not estimable" in s


def test_reliability_sources_and_problems():
    rel = resolve_reliability(["a", "qol", "bad", "none"], {"a": 0.8, "qol": np.nan, "bad": 1.0},
                              {"qol": 0.7}).set_index("construct")
    assert rel.loc["a", "reliability_source"] == "alpha" and rel.loc["a", "problem"] == ""
    assert rel.loc["qol", "reliability"] == 0.7
    assert rel.loc["qol", "reliability_source"] == "configured"
    assert "0 < r < 1" in rel.loc["bad", "problem"]
    assert "change.reliability.none" in rel.loc["none", "problem"]


def test_single_item_without_reliability_is_not_estimable(hand):
    long, _, _ = hand
    ind, info = reliable_change(long, ["s"], WAVES, {}, mids={"s": 2.5})
    assert ind["category"].isna().all() and ind["rci"].isna().all()
    sh = rci_shares(ind, info, WAVES, min_cell=5).set_index("category")
    rel_rows = sh.loc[["reliably_improved", "no_reliable_change", "reliably_deteriorated"]]
    assert (rel_rows["status"] == "not_estimable").all() and rel_rows["count"].isna().all()
    # the real reason, not "single-item scales have no alpha" (issue 13: said of a 6-item scale)
    assert "alpha at entry is not estimable" in rel_rows["message"].iloc[0]
    assert "single-item" not in rel_rows["message"].iloc[0]
    # the MID share does not need a reliability
    assert sh.loc["mid_improved", "status"] == "ok" and sh.loc["mid_improved", "count"] == 3


def test_reliability_problem_says_why_alpha_is_missing():
    table = pd.DataFrame({"scale": ["six", "qol"], "wave": ["T0", "T0"], "alpha": [np.nan] * 2,
                          "status": ["not_estimable"] * 2,
                          "message": ["fewer than 3 complete cases", "single-item scale: "
                                      "internal consistency is not defined"]})
    why = alpha_problems(table, "T0")
    rel = resolve_reliability(["six", "qol"], reliability_from_table(table, "T0"), {},
                              why).set_index("construct")
    assert "fewer than 3 complete cases" in rel.loc["six", "problem"]
    assert "single-item scale" in rel.loc["qol", "problem"]


def test_missing_score_column_raises(hand):
    long, r, _ = hand
    with pytest.raises(DataError, match="nope"):
        reliable_change(long, ["nope"], WAVES, {"nope": r})


def test_reliability_from_table_takes_baseline_alpha():
    t = pd.DataFrame({"scale": ["a", "a", "qol"], "wave": ["T0", "T1", "T0"],
                      "alpha": [0.81, 0.85, np.nan], "status": ["ok", "ok", "not_estimable"]})
    assert reliability_from_table(t, "T0") == {"a": 0.81, "qol": None}
    with pytest.raises(DataError, match="alpha"):
        reliability_from_table(t.drop(columns="alpha"), "T0")


def _shares(counts, n):
    cats = ["reliably_improved", "no_reliable_change", "reliably_deteriorated"]
    return pd.DataFrame({"construct": "q", "wave": "T2", "category": cats, "count": counts,
                         "n": n, "share": [c / n for c in counts], "ci_lower": 0.0,
                         "ci_upper": 1.0, "flag": "", "status": "ok", "message": ""})


def test_public_rci_hides_no_reliable_change_not_improved():
    """Issue 11: with 63 people, 11 improved, 44 unchanged, 8 deteriorated, the old copy hid
    'improved' (the number funders want) and showed 44, so the sentence's 17% of 63 = 11 gave
    8 back. Now 'no reliable change' is hidden, shown as the range the others allow."""
    pub = public_rci_shares(_shares([11, 44, 8], 63), 10)
    assert pub["count"].tolist() == [11, "43-51", "<10"]
    assert pub.loc[0, "share"] == pytest.approx(11 / 63)
    assert (pub.loc[1:, ["share", "ci_lower", "ci_upper"]] == "[c]").all().all()


def test_public_rci_unchanged_small_hides_smaller_other():
    pub = public_rci_shares(_shares([30, 5, 20], 55), 10)
    assert pub["count"].tolist()[1] == "<10"
    assert pub["count"].tolist()[2] == "16-24" and pub["count"].tolist()[0] == 30


def test_public_rci_mid_row_is_not_in_the_line():
    t = pd.concat([_shares([11, 44, 8], 63),
                   _shares([11, 44, 8], 63).iloc[[0]].assign(category="mid_improved", count=7)],
                  ignore_index=True)
    pub = public_rci_shares(t, 10)
    assert pub.loc[3, "count"] == "<10" and pub.loc[0, "count"] == 11


# --- minimal important difference: source, reference, disclosure; direction from presets ---

def test_mid_source_and_reference_reach_the_shares(hand):
    from pipeline.clean.settings import MeaningfulChange
    long, r, _ = hand
    mc = MeaningfulChange("s", 2.5, "preset", "Maheswaran H, Weich S. Title. HQLO 2012;10:156.")
    ind, info = reliable_change(long, ["s"], WAVES, {"s": r}, mids={"s": mc})
    assert info.loc[0, "mid"] == 2.5 and info.loc[0, "mid_source"] == "preset"
    sh = rci_shares(ind, info, WAVES, min_cell=2).set_index("category")
    assert sh.loc["mid_improved", "count"] == 3  # same as with the plain number 2.5
    assert (sh["mid_source"] == "preset").all()
    assert sh.loc["mid_improved", "mid_reference"].startswith("Maheswaran H")
    ind, info = reliable_change(long, ["s"], WAVES, {"s": r}, mids={"s": 2.5})
    assert info.loc[0, "mid_source"] == "" and info.loc[0, "mid_reference"] == ""
    assert list(rci_shares(ind, info, WAVES).columns)[14:17] == ["mid", "mid_source",
                                                                  "mid_reference"]


@pytest.mark.parametrize("ref, short", [
    ("Maheswaran H, Weich S, Powell J, Stewart-Brown S. Evaluating the responsiveness of the "
     "WEMWBS. Health Qual Life Outcomes 2012;10:156 (standard error 2.4-3.1 points).",
     "Maheswaran et al. 2012"),
    ("Pickard AS, Neary MP, Cella D. Estimation of MIDs. HQLO 2007;5:70 (VAS: 8 to 12).",
     "Pickard et al. 2007"),
    ("Hughes ME. A short scale for measuring loneliness. Res Aging 2004;26:655-672.",
     "Hughes 2004"),
    ("set in the study config (scales.k.mid)", ""),
    ("", ""),
])
def test_short_citation(ref, short):
    assert short_citation(ref) == short


def test_preset_references_all_cite_short():
    from pipeline.instruments import INSTRUMENTS
    for inst in INSTRUMENTS.values():
        if inst.mid is not None:
            cite = short_citation(inst.mid.reference)
            assert cite.endswith(("2007", "2012", "2018")) and len(cite) < 30, (inst.name, cite)


def _mid_shares(count, n, status="ok"):
    return pd.concat([_shares([11, n - 19, 8], n),
                      _shares([0, 0, 0], n).iloc[[0]].assign(
                          category="mid_improved", count=count, share=count / n)],
                     ignore_index=True).assign(status=status)


def test_public_mid_count_near_n_is_a_range():
    """40 of 43 meaningfully improved: printing 40 beside n = 43 tells that 3 did not."""
    pub = public_rci_shares(_mid_shares(40, 43), 10)
    assert pub.loc[3, "count"] == "34-42"  # 3 not improved: 1-9 -> 34-42 improved
    assert (pub.loc[3, ["share", "ci_lower", "ci_upper"]] == "[c]").all()
    pub = public_rci_shares(_mid_shares(30, 43), 10)
    assert pub.loc[3, "count"] == 30 and pub.loc[3, "share"] == pytest.approx(30 / 43)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(20, 80), frac=st.floats(0, 1), min_cell=st.integers(3, 12))
def test_public_mid_never_shows_a_small_cell(n, frac, min_cell):
    """Property: a MID count printed exactly leaves neither it nor n minus it in 1..min_cell-1."""
    count = round(frac * n)
    pub = public_rci_shares(_mid_shares(count, n), min_cell)
    shown = pub.loc[3, "count"]
    if isinstance(shown, (int, float)):
        assert not (0 < shown < min_cell) and not (0 < n - shown < min_cell)


def test_a_ucla3_preset_reads_a_rise_as_worse(tmp_path):
    """The bug of issue 16's follow-up: with instrument: ucla3 and no change.higher_is_better,
    loneliness rising from 3 to 9 was "reliably improved" (and meaningfully improved)."""
    import copy

    import yaml

    from pipeline.change.settings import from_config
    from pipeline.config import config_from_dict
    root = Path(__file__).resolve().parents[2]
    raw = yaml.safe_load((root / "config" / "studies" / "demo.yaml").read_text())
    raw = copy.deepcopy(raw)
    raw["scales"]["loneliness"] = {"instrument": "ucla3", "items": ["lon1", "lon2", "lon3"],
                                   "label_map": "ucla3", "mid": 1}
    raw["change"].pop("higher_is_better")
    s = from_config(config_from_dict(raw, root=root))
    rng = np.random.default_rng(3)
    base = rng.integers(3, 7, 30).astype(float)
    base[0] = 3.0
    later = base + rng.integers(-1, 2, 30)
    later[0] = 9.0  # person 0: far lonelier
    long = pd.DataFrame({"pid": [f"p{i}" for i in range(30)] * 2, "wave": ["T0"] * 30 + ["T1"] * 30,
                         "loneliness": np.r_[base, later]})
    ind, _ = reliable_change(long, ["loneliness"], WAVES, {"loneliness": 0.8},
                             s.higher_is_better, {"loneliness": 1.0})
    p0 = ind.set_index("pid").loc["p0"]
    assert p0["category"] == "deteriorated" and not bool(p0["mid_improved"])


def test_an_index_score_says_alpha_does_not_apply():
    table = pd.DataFrame({"scale": ["eq5d"], "wave": ["T0"], "alpha": [np.nan],
                          "status": ["not_run"],
                          "message": ["not applicable (index score): a value-set index ..."]})
    rel = resolve_reliability(["eq5d"], reliability_from_table(table, "T0"), {},
                              alpha_problems(table, "T0")).set_index("construct")
    assert "alpha does not apply to an index score" in rel.loc["eq5d", "problem"]
    assert "change.reliability.eq5d" in rel.loc["eq5d", "problem"]
    rel = resolve_reliability(["eq5d"], reliability_from_table(table, "T0"), {"eq5d": 0.7},
                              alpha_problems(table, "T0")).set_index("construct")
    assert rel.loc["eq5d", "problem"] == "" and rel.loc["eq5d", "reliability"] == 0.7


def test_public_n_beside_the_number_who_answered_is_a_range():
    """E-rci-n: 177 with both scores beside 178 who answered at entry gives back the one
    person without a score; n is printed as the range below the group it belongs to, the
    cells are protected against that range and no share of a range n is published (17 (10%)
    and 152 (86%) would narrow 169-177 to 176-177)."""
    pub = public_rci_shares(_shares([17, 152, 8], 177), 10, {"T0": 178.0, "T2": 190.0})
    assert set(pub["n"]) == {"169-177"}
    assert pub.loc[0, "count"] == 17 and pub.loc[0, "share"] == "[c]"
    assert pub.loc[2, "count"] == "<10"
    # n is not known: 17 + 152 + (1-9) lies in 169-177 without hiding 152
    assert pub.loc[1, "count"] == 152 and pub.loc[1, "share"] == "[c]"
    assert (pub[["share", "ci_lower", "ci_upper"]] == "[c]").all().all()
    far = public_rci_shares(_shares([17, 152, 8], 177), 10, {"T0": 250.0, "T2": 190.0})
    assert set(far["n"]) == {177} and far.loc[0, "share"] == pytest.approx(17 / 177)


def test_public_n_of_two_constructs_do_not_differ_by_a_few():
    """Two constructs at one wave, 60 and 62 with both scores: printing both exact gives 2."""
    two = pd.concat([_shares([20, 30, 12], 62),
                     _shares([20, 30, 10], 60).assign(construct="r")], ignore_index=True)
    pub = public_rci_shares(two, 10, {"T0": 178.0, "T2": 63.0})
    texts = pub.groupby("construct")["n"].first().to_dict()
    assert texts == {"q": "54-62", "r": "54-62"}


def test_sentence_prints_n_as_the_public_table():
    t = _shares([17, 152, 8], 177).assign(construct="q")
    pub = public_rci_shares(t, 10, {"T0": 178.0, "T2": 190.0})
    s = rci_sentence(t, "q", "T2", label="Mood", wave_phrase="at 4 months", public=pub)
    assert s.startswith("Of the 169-177 people with mood scores") and "Of the 177 " not in s


def test_shown_counts_never_add_up_to_a_range_n_nor_pin_it_by_their_shares():
    """Found by reading the demo report: "54-62 | 16 (26%) | 41 (66%) | <10" gave n = 62 (only
    62 fits both whole percentages) and so the 5 who deteriorated; "261-269 | 37 | 204 | 28"
    added up to 269 beside 270 who answered, giving back the one person without a score.
    Now a range n is never pinned: no shares, and a row whose shown counts would add up to it
    hides one more cell (no reliable change first) as a range."""
    pub = public_rci_shares(_shares([16, 41, 5], 62), 10, {"T0": 630.0, "T2": 63.0})
    assert set(pub["n"]) == {"54-62"}
    assert (pub[["share", "ci_lower", "ci_upper"]] == "[c]").all().all()
    full = public_rci_shares(_shares([37, 204, 28], 269), 10, {"T0": 750.0, "T2": 270.0})
    n_lo, n_hi = (int(x) for x in str(full["n"].iloc[0]).split("-"))
    shown = [c for c in full["count"] if isinstance(c, (int, float))]
    assert len(shown) < 3, full["count"].tolist()  # three exact counts would give n back
    hidden = [c for c in full["count"] if not isinstance(c, (int, float))]
    assert hidden and n_lo < 269 <= n_hi


def test_the_sds_of_a_hidden_group_are_not_published():
    """Found by an attack on a 40-person study: the baseline SD to ten digits, of EQ VAS
    scores in whole points, fits only n = 37 of the "30-38" the baseline table prints, and so
    gave back the 2 people without a score. ``sd_baseline`` is "[c]" where the number with a
    score at entry is not printed exactly; ``s_diff`` where the row's n is a range."""
    t = _shares([17, 152, 8], 177).assign(sd_baseline=14.87793174, s_diff=9.1)
    pub = public_rci_shares(t, 10, {"T0": 178.0, "T2": 190.0}, baseline_exact={"q": False})
    assert set(pub["n"]) == {"169-177"}
    assert (pub["sd_baseline"] == "[c]").all() and (pub["s_diff"] == "[c]").all()
    shown = public_rci_shares(t, 10, {"T0": 250.0, "T2": 190.0}, baseline_exact={"q": True})
    assert set(shown["n"]) == {177}
    assert (shown["sd_baseline"] == 14.87793174).all() and (shown["s_diff"] == 9.1).all()
    # s_diff = sd_baseline sqrt(2 (1 - reliability)), the reliability printed beside it: it
    # goes with the SD at entry, whatever the row's n (a reviewer's find on the demo data)
    exact_row = public_rci_shares(t, 10, {"T0": 250.0, "T2": 190.0},
                                  baseline_exact={"q": False})
    assert set(exact_row["n"]) == {177} and (exact_row["s_diff"] == "[c]").all()
    unlisted = public_rci_shares(t, 10, {"T0": 250.0, "T2": 190.0}, baseline_exact={})
    assert (unlisted["sd_baseline"] == "[c]").all()  # a construct not listed: not known exact
