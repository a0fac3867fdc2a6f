"""The scheme table and its public copy: nothing below min_cell, no count a few short of the
entrants printed exactly, totals that say no more than the scheme rows, the scheme's own
public flow reused."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.pooled.schemes import ALL, public_schemes, scheme_counts, text_bounds

WAVES = [["T0", "Entry"], ["T1", "4 months"], ["T2", "7 months"]]


def _wide(n: int, answered: list[int]) -> pd.DataFrame:
    wide = pd.DataFrame({"pid": [f"p{i}" for i in range(n)], "responded_T0": True})
    for w, k in zip(("T1", "T2"), answered):
        wide[f"responded_{w}"] = np.arange(n) < k
    return wide


def _table(spec: dict[str, tuple[int, list[int]]]):
    wides = {s: _wide(n, a) for s, (n, a) in spec.items()}
    info = {s: {"title": s.title(), "waves": WAVES} for s in spec}
    return scheme_counts(wides, info)


def test_analyst_table_counts_and_totals():
    t = _table({"a": (200, [57, 20]), "b": (95, [90, 4])})
    a = t[t["scheme"] == "a"].set_index("wave")
    assert list(a["responded"]) == [200, 57, 20] and a.loc["T1", "pct_entry"] == 28.5
    tot = t[t["scheme"] == ALL].set_index("wave")
    assert list(tot["responded"]) == [295, 147, 24] and set(tot["schemes"]) == {2}


def test_public_copy_hides_small_and_near_counts_and_ranges_the_totals():
    t = _table({"a": (200, [57, 20]), "b": (95, [90, 4])})
    pub = public_schemes(t, {}, {"a": 10, "b": 10})
    b = pub[pub["scheme"] == "b"].set_index("wave")
    assert b.loc["T2", "responded"] == "<10"          # small
    assert b.loc["T1", "responded"] == "86-94"        # 5 short of the 95 entrants
    assert b.loc["T0", "responded"] == 95
    tot = pub[pub["scheme"] == ALL].set_index("wave")
    assert tot.loc["T0", "responded"] == 295
    assert tot.loc["T1", "responded"] == "143-151"    # 57 + 86..94: no more than the rows say
    assert tot.loc["T2", "responded"] == "21-29"      # 20 + 1..9
    assert b.loc["T2", "pct_entry"].startswith("under ")
    assert tot.loc["T1", "pct_entry"] == "48-51%"


def test_a_schemes_public_flow_is_printed_as_it_is():
    t = _table({"a": (200, [57, 20]), "b": (300, [120, 60])})
    flow = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": ["200", "50-59", "20"]})
    pub = public_schemes(t, {"a": flow}, {"a": 10, "b": 10})
    a = pub[pub["scheme"] == "a"].set_index("wave")
    assert list(a["responded"]) == [200, "50-59", 20]
    assert pub[(pub["scheme"] == ALL) & (pub["wave"] == "T1")]["responded"].item() == "170-179"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 400), st.floats(0, 1), st.floats(0, 1)),
                min_size=2, max_size=5), st.sampled_from([5, 10]))
def test_no_printed_count_discloses(schemes, min_cell):
    spec = {}
    for i, (n, f1, f2) in enumerate(schemes):
        k1 = int(n * f1)
        spec[f"s{i}"] = (n, [k1, int(k1 * f2)])
    t = _table(spec)
    pub = public_schemes(t, {}, {s: min_cell for s in spec})
    for (_, r), (_, p) in zip(t.iterrows(), pub.iterrows()):
        lo, hi = text_bounds(p["responded"], min_cell)
        assert lo <= r["responded"] <= hi                         # honest
        if lo == hi and r["scheme"] != ALL:
            assert r["responded"] == 0 or r["responded"] >= min_cell   # nothing small exact
            elo, ehi = text_bounds(p["entered"], min_cell)
            gap = r["entered"] - r["responded"]
            assert elo < ehi or gap == 0 or gap >= min_cell        # nothing a few short
    for wave, g in pub.groupby("wave"):
        rows = g[g["scheme"] != ALL]
        total = g[g["scheme"] == ALL]["responded"].item()
        bounds = [text_bounds(v, min_cell) for v in rows["responded"]]
        lo, hi = sum(b[0] for b in bounds), sum(b[1] for b in bounds)
        tlo, thi = text_bounds(total, min_cell)
        if math.isfinite(hi) and not (hi < min_cell and lo >= 1):
            assert (tlo, thi) == (lo, hi)                          # the sum of what is printed
