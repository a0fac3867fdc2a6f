"""Tests for pipeline/disclosure.py (small-count suppression)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline.disclosure import (
    SECONDARY_MARK,
    feasible_ranges,
    findings_counts,
    flow_shown,
    format_count,
    is_small,
    nested_counts,
    protect,
    protect_described_variable,
    published_bounds,
    published_counts,
    suppress_counts,
    suppression_mask,
)


def test_is_small_scalar_and_vector():
    assert is_small(1) and is_small(9) and not is_small(10) and not is_small(0)
    assert not is_small(float("nan"))
    assert is_small(4, min_cell=5) and not is_small(5, min_cell=5)
    np.testing.assert_array_equal(is_small(np.array([0, 1, 9, 10, np.nan])),
                                  [False, True, True, False, False])


def test_format_count():
    assert format_count(3) == "<10"
    assert format_count(0) == "0"
    assert format_count(630) == "630"
    assert format_count(7, min_cell=5) == "7"


def test_primary_zero_and_percentages():
    t = pd.DataFrame({"wave": ["T0", "T1", "T2"], "n": [630, 8, 0], "pct_n": [100.0, 1.3, 0.0]})
    out = suppress_counts(t, ["n"], secondary=False)
    assert out["n"].tolist() == [630, "<10", 0]
    assert out["pct_n"].tolist() == [100.0, SECONDARY_MARK, 0.0]
    assert t["n"].tolist() == [630, 8, 0]  # input untouched


def test_secondary_row_line_hides_smallest_other_cell():
    t = pd.DataFrame({"a": [5, 40], "b": [30, 50], "c": [100, 60]})
    out = suppress_counts(t, ["a", "b", "c"], additive="rows")
    assert out.loc[0].tolist() == ["<10", SECONDARY_MARK, 100]
    assert out.loc[1].tolist() == [40, 50, 60]


def test_secondary_cascades_across_rows_and_columns():
    t = pd.DataFrame({"a": [5, 40, 12], "b": [30, 50, 70]})
    mask = suppression_mask(t, additive="both")
    # (0,a) primary -> row 0 hides b=30; column a then needs another -> 12; column b -> 50; ...
    for line in [mask.loc[i] for i in mask.index] + [mask[c] for c in mask.columns]:
        assert (line != "").sum() != 1


def test_zero_hidden_only_when_nothing_else_left():
    t = pd.DataFrame({"a": [3], "b": [0]})
    out = suppress_counts(t, ["a", "b"], additive="rows")
    assert out.loc[0].tolist() == ["<10", SECONDARY_MARK]


def test_no_secondary_when_off_or_no_lines():
    t = pd.DataFrame({"n": [5, 100]})
    assert suppress_counts(t, ["n"], secondary=False)["n"].tolist() == ["<10", 100]
    assert suppress_counts(t, ["n"], additive="none")["n"].tolist() == ["<10", 100]
    assert suppress_counts(t, ["n"], additive="columns")["n"].tolist() == ["<10", SECONDARY_MARK]


def test_missing_column_raises():
    with pytest.raises(KeyError, match="nope"):
        suppress_counts(pd.DataFrame({"n": [1]}), ["nope"])


counts = arrays(
    dtype=np.int64,
    shape=st.tuples(st.integers(1, 6), st.integers(1, 5)),
    elements=st.one_of(st.integers(0, 12), st.integers(0, 500)),
)


@settings(max_examples=150, deadline=None)
@given(counts, st.integers(2, 11), st.sampled_from(["rows", "columns", "both"]))
def test_property_no_small_count_shown_and_no_single_recovery(values, min_cell, additive):
    t = pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])
    out = suppress_counts(t, list(t.columns), min_cell=min_cell, additive=additive)
    shown = out.to_numpy()
    # 1) no shown count in 1..min_cell-1
    for x in shown.ravel():
        if not isinstance(x, str):
            assert not (1 <= x < min_cell)
    # 2) every hidden cell shares each of its lines with another hidden cell, so no single
    #    (row or column) total recovers it by subtraction
    hidden = np.vectorize(lambda x: isinstance(x, str))(shown)
    nr, nc = hidden.shape
    if additive in ("rows", "both") and nc > 1:
        assert not np.any(hidden.sum(axis=1) == 1)
    if additive in ("columns", "both") and nr > 1:
        assert not np.any(hidden.sum(axis=0) == 1)
    # 3) the shown values are the original counts
    keep = ~hidden
    assert np.array_equal(shown[keep].astype(int), values[keep])


def test_extra_lines_protect_flow_relations():
    # retained_T1 = 630 - lost + rejoined: a small 'rejoined' must not be recoverable
    t = pd.DataFrame({"retained": [630, 178], "lost": [None, 455], "rejoined": [None, 3]},
                     index=["T0", "T1"])
    line = [("T0", "retained"), ("T1", "lost"), ("T1", "rejoined"), ("T1", "retained")]
    m = suppression_mask(t, additive="none", lines=[line])
    assert m.loc["T1", "rejoined"] == "primary"
    assert (m.loc["T1", ["lost", "retained"]] == "secondary").sum() == 1
    m2 = suppression_mask(t, additive="none", lines=[line], prefer_shown=[("T1", "retained")])
    assert m2.loc["T1", "lost"] == "secondary" and m2.loc["T1", "retained"] == ""


def test_suppress_within_groups_hides_small_counts_and_their_shares():
    from pipeline.disclosure import suppress_within_groups

    t = pd.DataFrame({"construct": ["a"] * 3 + ["b"] * 3, "wave": "T1",
                      "category": ["up", "same", "down"] * 2,
                      "count": [17, 152, 8, 30, 120, 27],
                      "share": [0.1, 0.86, 0.04, 0.17, 0.68, 0.15]})
    out = suppress_within_groups(t, "count", ["construct", "wave"], 10, share_columns=["share"])
    a = out[out["construct"] == "a"]
    assert list(a["count"]).count("<10") == 1
    # the group total is published, so one more cell of group a is hidden
    assert sum(isinstance(v, str) for v in a["count"]) == 2
    assert (a.loc[a["count"].map(lambda v: isinstance(v, str)), "share"] == "[c]").all()
    b = out[out["construct"] == "b"]
    assert list(b["count"]) == [30, 120, 27]


def test_round_shown_leaves_marks_and_rounds_numbers():
    from pipeline.disclosure import is_number, round_shown

    t = pd.DataFrame({"mean": [1.23456, "[c]"], "p": [0.012345, np.nan]}, dtype=object)
    out = round_shown(t, {"mean": 2}, significant=["p"])
    assert out["mean"].tolist() == [1.23, "[c]"] and out.loc[0, "p"] == 0.012
    assert np.isnan(out.loc[1, "p"])
    assert is_number(np.float64(2.0)) and not is_number(True) and not is_number(float("inf"))
    assert not is_number("<10")


def test_round_percentages_only_pct_columns():
    from pipeline.disclosure import round_percentages

    t = pd.DataFrame({"n": [1.2345, 2.0], "pct_x": [12.345, "[c]"], "x_pct": [1.06, 2.0]})
    out = round_percentages(t)
    assert out["n"].tolist() == [1.2345, 2.0] and out["pct_x"].tolist() == [12.3, "[c]"]
    assert out["x_pct"].tolist() == [1.1, 2.0]


# ----------------------------------------------------------------------------- issue 11 helpers
def test_prefer_hidden_picks_the_least_informative_cell():
    from pipeline.disclosure import suppress_within_groups
    t = pd.DataFrame({"g": "x", "category": ["improved", "unchanged", "deteriorated"],
                      "count": [11, 44, 8]})
    out = suppress_within_groups(t, "count", ["g"], 10,
                                 prefer_hidden=lambda r: r["category"] == "unchanged")
    assert out["count"].tolist() == [11, SECONDARY_MARK, "<10"]
    plain = suppress_within_groups(t, "count", ["g"], 10)
    assert plain["count"].tolist() == [SECONDARY_MARK, 44, "<10"]  # old rule: the smallest


def test_feasible_ranges_by_hand():
    from pipeline.disclosure import feasible_ranges
    # a + b + c = 20 (c is the total's complement), a in [1, 9], b = 6 shown -> c in [5, 13]
    eqs = [{"t": 1, "a": -1, "b": -1, "c": -1}]
    got = feasible_ranges(eqs, {"t": (20, 20), "a": (1, 9), "b": (6, 6)}, ["a", "c"])
    assert got == {"a": (1.0, 9.0), "c": (5.0, 13.0)}
    with pytest.raises(ValueError, match="contradict"):
        feasible_ranges(eqs, {"t": (20, 20), "a": (15, 15), "b": (6, 6)}, ["c"])


def test_protect_flow_and_patterns_by_hand():
    """630 joined, 178 / 63 answering; 5 came back after missing T1. Every pattern count is a
    flow count minus or plus those 5, so all are shown as ranges, the 120 lost as 116-124."""
    from pipeline.disclosure import protect
    v = dict(n0=630, R1=178, R2=63, L1=452, L2=120, J2=5, A=447, B=120, C=5, D=58)
    eqs = [{"n0": 1, "A": -1, "B": -1, "C": -1, "D": -1}, {"R1": 1, "B": -1, "D": -1},
           {"R2": 1, "C": -1, "D": -1}, {"L1": 1, "A": -1, "C": -1}, {"L2": 1, "B": -1},
           {"J2": 1, "C": -1}, {"n0": 1, "L1": -1, "R1": -1},
           {"R1": 1, "L2": -1, "J2": 1, "R2": -1}]
    p = protect(v, eqs, list(v), 10, prefer_shown=["n0", "R1", "R2"],
                prefer_hidden=["A", "B", "C", "D"])
    assert {k: p.text(k) for k in v} == {
        "n0": 630, "R1": 178, "R2": 63, "L1": 452, "L2": "116-124", "J2": "<10",
        "A": "443-451", "B": "116-124", "C": "<10", "D": "54-62"}
    assert p.text("D", show_ranges=False) == SECONDARY_MARK and p.unprotectable == []


def test_protect_shows_c_where_the_small_mark_would_pin():
    from pipeline.disclosure import protect
    # one missing value in all (known): "<10 of those lost" would say it was theirs, so both
    # cells are shown "[c]" (each 0 or 1)
    v = {"all": 1, "mr": 0, "ml": 1}
    p = protect(v, [{"all": 1, "mr": -1, "ml": -1}], ["mr", "ml"], 10, known=["all"])
    assert (p.text("mr"), p.text("ml")) == ("0-1", "0-1")
    assert p.unprotectable == []
    # a single category of a known total of 5 cannot be protected: reported, not a crash
    p = protect({"t": 5, "a": 5}, [{"t": 1, "a": -1}], ["a"], 10, known=["t"])
    assert p.unprotectable == ["a"]


def test_safe_helpers():
    from pipeline.disclosure import range_text, safe_count, safe_percent, safe_share_text
    assert safe_count(5) == "<10" and safe_count(50, hidden=True) == "[c]"
    assert safe_count(50) == "50" and safe_count(float("nan")) == "NA"
    assert safe_percent(11, 63) == "17%" and safe_percent(11, 63, decimals=1) == "17.5%"
    assert safe_percent(8, 63) == "under 15%"  # 9/63 = 14.3% < 15%: says only "<10"
    assert safe_percent(3, 630) == "under 2%" and safe_percent(5, 8) == "[c]"
    assert safe_percent(50, 63, hidden=True) == "[c]"
    assert safe_share_text(11, 63, ci=(0.1004, 0.2867)) == "17% (95% CI 10% to 29%)"
    assert safe_share_text(11, 63, hidden=True) is None
    assert safe_share_text(4, 63) == "fewer than 10 people"
    assert range_text(116, 124) == "116-124" and range_text(0, np.inf) == "[c]"


# ----------------------------------------------------------------------------- small studies
def test_cap_small_prints_no_range_below_the_threshold():
    """12 entrants, 3 and 9 in two groups: each is "<10"; a range "2-3" would print a count
    below the threshold, so with ``cap_small`` it reads "<10" (or "[c]" when it reaches 0)."""
    values = {"N": 12, "a": 3, "b": 9, "a1": 2, "a2": 1}
    eqs = [{"N": 1, "a": -1, "b": -1}, {"a": 1, "a1": -1, "a2": -1}]
    prot = protect(values, eqs, ["a", "b", "a1", "a2"], 10, known=["N"])
    texts = {k: prot.text(k, cap_small=True) for k in prot.status}
    assert all(v in ("<10", "[c]") for v in texts.values()), texts
    assert published_bounds(prot, "a") in ((1.0, 9.0), (0.0, np.inf))


def test_guard_keeps_a_cell_hidden_elsewhere_unpinned():
    """The missing count (1) is hidden in another table ("<10"); here the groups' counts would
    pin it (10 + 9 of 20 answered, so 1 missing). With ``guard`` one of them is hidden."""
    values = {"size": 20, "f": 10, "m": 9, "miss": 1}
    eqs = [{"size": 1, "f": -1, "m": -1, "miss": -1}]
    plain = protect(values, eqs, ["f", "m"], 5, known=["size"], limits={"miss": (1, 4)})
    assert not plain.hidden("f") and not plain.hidden("m")  # the leak guard closes
    prot = protect(values, eqs, ["f", "m"], 5, known=["size"], limits={"miss": (1, 4)},
                   guard=["miss"])
    assert prot.hidden("f") or prot.hidden("m")
    bounds = {"size": (20, 20), "miss": (1, 4)} | {
        k: published_bounds(prot, k) for k in ("f", "m")}
    lo, hi = feasible_ranges(eqs, bounds, ["miss"])["miss"]
    assert hi > lo and "miss" not in prot.ranges  # guard cells are not published here


def test_described_variable_hides_n_beside_a_small_missing_count():
    """716 entrants, 2 with no answer: n 714 beside the known 716 gives the 2 back, so n is
    shown as the range the others allow, and a level count with it (330 + 384 = n)."""
    prot = protect_described_variable(714, 2, {"Female": 330, "Male": 384}, 716, 10)
    assert prot.text(("miss",)) == "<10"
    assert prot.text(("n",)) == "707-715"
    assert prot.hidden(("lvl", "Female")) != prot.hidden(("lvl", "Male"))
    one = protect_described_variable(1, 0, {}, 1, 10)  # one person: "<10", 0 missing
    assert one.text(("n",)) == "<10" and one.text(("miss",)) == 0
    full = protect_described_variable(630, 0, {"a": 204, "b": 23, "c": 403}, 630, 10)
    assert not any(full.hidden(k) for k in full.status)  # nothing small: all shown


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(0, 12), st.integers(0, 40))
def test_property_described_variable_never_pinned(total, missing, first):
    """Whatever the counts, no hidden cell of a described variable can be worked out from the
    published ones and the known total (the LP audit, as an attacker would run it)."""
    missing = min(missing, total)
    n = total - missing
    levels = {"a": min(first, n), "b": n - min(first, n)}
    prot = protect_described_variable(n, missing, levels, total, 10)
    eqs = [{"N": 1, "n": -1, "miss": -1}, {"n": 1, "a": -1, "b": -1}]
    name = {("n",): "n", ("miss",): "miss", ("lvl", "a"): "a", ("lvl", "b"): "b"}
    bounds = {"N": (1, 9) if is_small(total) else (total, total)}
    bounds |= {name[k]: published_bounds(prot, k) for k in prot.status}
    hidden = [name[k] for k in prot.status if prot.hidden(k)]
    truth = {"n": n, "miss": missing, "a": levels["a"], "b": levels["b"]}
    for k, (lo, hi) in feasible_ranges(eqs, bounds, hidden).items():
        assert lo < hi and lo <= truth[k] <= hi, (k, lo, hi, truth)


# ----------------------------------------------------------------------------- counts that differ
def test_published_counts_by_hand():
    """12 entrants: n = 11 with a score is the range the baseline description prints (3-11);
    630 entrants and 178 at T1: 629 and 176 become 621-629 and 169-177; 619 and 60 stay."""
    got = published_counts({"a": 11, "b": 3, "c": 12, "d": 0, "e": np.nan}, 10, shown=[12],
                           groups={"a": [12]})
    assert got == {"a": "3-11", "b": "<10", "c": 12, "d": 0, "e": None}
    desc = protect_described_variable(11, 1, {}, 12, 10)
    assert desc.text(("n",)) == got["a"]  # one cell, one printed form
    got = published_counts({"g0": 629, "q0": 619, "g1": 176, "cc": 60, "o2": 61}, 10,
                           shown=[630, 178, 63], groups={"g0": [630], "g1": [178], "o2": [63]})
    assert got == {"g0": "621-629", "q0": 619, "g1": "169-177", "o2": "54-62", "cc": "54-62"}
    # a count just above a printed one it is not part of: the range above it
    assert published_counts({"x": 181}, 10, shown=[178]) == {"x": "179-187"}
    # nothing printed beside it: the count as it is
    assert published_counts({"x": 629}, 10) == {"x": 629}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 80), min_size=1, max_size=12),
       st.lists(st.integers(0, 80), max_size=4), st.integers(2, 12))
def test_property_no_two_printed_counts_differ_by_a_few(counts, shown, min_cell):
    """Whatever the counts: no count printed exactly differs from another printed here or
    elsewhere (``shown``, protected there) by 1 to min_cell - 1; every range holds the true
    count and spans min_cell - 1 values (fewer only where it meets 0) next to a count printed
    exactly, so it says no more than "<min_cell" does; small counts are "<min_cell"; same
    counts, same texts."""
    got = published_counts(dict(enumerate(counts)), min_cell, shown=shown,
                           groups={i: shown for i in range(len(counts))})
    ours = [v for v in got.values() if isinstance(v, int)]
    exact = [v for v in shown if not is_small(v, min_cell)] + ours
    assert not [(a, b) for a in exact for b in ours if 1 <= abs(a - b) <= min_cell - 1]
    for i, c in enumerate(counts):
        v = got[i]
        if is_small(c, min_cell):
            assert v == f"<{min_cell}"
        elif isinstance(v, str):
            lo, hi = map(int, v.split("-"))
            assert lo <= c <= hi and (hi - lo + 1 == min_cell - 1 or lo == 0), (c, v)
            # it follows from a printed count and "<min_cell" alone: a - (min_cell - 1) .. a - 1
            # or a + 1 .. a + min_cell - 1 for a count a printed exactly
            assert hi + 1 in exact or lo - 1 in exact, (c, v, exact)
        else:
            assert v == c
    assert got == published_counts(dict(enumerate(counts)), min_cell, shown=shown,
                                   groups={i: shown for i in range(len(counts))})


FLOW_PUB = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": ["630", "178", "<10"]})


def test_flow_shown_and_nested_counts():
    assert flow_shown(FLOW_PUB) == ({"T0": 630.0, "T1": 178.0},
                                   {"T0": "630", "T1": "178", "T2": "<10"})
    assert flow_shown(None) == ({}, {})
    got = nested_counts([(629, ["T0"]), (176, ["T1"]), (5, ["T2"]), (150, ["T1"])], 10, FLOW_PUB)
    assert got == ["621-629", "169-177", "<10", 150]


def test_findings_counts_one_output_with_extra():
    """The findings' counts and the report's other counts as one output: the participation
    rows print the flow; an estimate of 625 beside 630 entrants, its 176 observed beside 178
    at T1, and an extra 176 (the report's table) print the same ranges."""
    rows = [{"kind": "participation", "wave": "T0", "n_contributing": 630, "n_observed": 630},
            {"kind": "participation", "wave": "T2", "n_contributing": 630, "n_observed": 8},
            {"kind": "change", "wave": "T1", "method": "fiml", "n_contributing": 625,
             "n_observed": 176},
            {"kind": "change", "wave": "T1", "method": "complete_case", "n_contributing": 160,
             "n_observed": 160},
            {"kind": "not_run", "wave": "", "n_contributing": np.nan, "n_observed": np.nan}]
    texts, extra = findings_counts(rows, 10, FLOW_PUB, extra=[(176, ["T1"]), (630, ["T0"])])
    assert texts[0] == {"n_contributing": "630", "n_observed": "630"}
    assert texts[1] == {"n_contributing": "630", "n_observed": "<10"}
    assert texts[2] == {"n_contributing": "621-629", "n_observed": "169-177"}
    assert texts[3] == {"n_contributing": "160", "n_observed": "160"}
    assert texts[4] == {"n_contributing": "", "n_observed": ""}
    assert extra == ["169-177", "630"]
    # no public flow: small counts only
    texts, _ = findings_counts(rows[2:3], 10, None)
    assert texts[0] == {"n_contributing": "625", "n_observed": "176"}


def test_hidden_size_mean_is_consistent_with_every_size_from_min_cell():
    """Whatever n >= min_cell an attacker tries, some whole-point total over n people rounds to
    the published mean: the rounding hides n (an exact mean does not: 295/58)."""
    from pipeline.disclosure import hidden_size_mean

    rng = np.random.default_rng(3)
    for _ in range(200):
        n_true = int(rng.integers(10, 80))
        total = int(rng.integers(n_true, 7 * n_true + 1))
        shown = float(hidden_size_mean(total / n_true, 10))
        for n in range(10, 200):
            candidates = np.arange(n, 7 * n + 1) / n  # whole-point totals over n people
            assert np.any(np.abs(hidden_size_mean(candidates, 10) - shown) < 1e-9), (n, shown)
    exact = [n for n in range(54, 63) if abs(round(295 / 58 * n) - 295 / 58 * n) < 1e-9]
    assert exact == [58]  # the exact mean names n
    assert np.isnan(hidden_size_mean(np.nan))
    assert hidden_size_mean(295 / 58, 1) == 295 / 58  # min_cell 1: nothing is hidden
