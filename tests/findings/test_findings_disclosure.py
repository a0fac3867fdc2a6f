"""No sentence or headline of the findings table prints a count below disclosure.min_cell, nor
a percentage of a hidden count (a percentage of a known denominator gives the count back)."""

from __future__ import annotations

import re

import pandas as pd
from findings_helpers import change_row, change_table, mediation_table

from pipeline.findings.analysis import build_findings

COUNT = re.compile(r"(?<![\d.<\u2212-])(\d+)(?=\s+(?:people|of them|answered|participants))")


def test_no_small_count_in_any_sentence(settings):
    flow = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": [40, 12, 4],
                         "pct_baseline": [100, 30, 10]})
    public = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": ["40", "12", "<10"],
                           "pct_baseline": ["100", "30", "[c]"]})
    t = build_findings({
        "change": change_table(change_row(n_contributing=40, n_observed=7, est=3, lo=1, hi=5),
                               change_row(wave="T2", n_contributing=40, n_observed=4)),
        "mediation": mediation_table(n=40, n_outcome=8),
        "flow": flow, "flow_public": public}, {}, settings)
    found = [(r.finding_id, int(m)) for r in t.itertuples()
             for m in COUNT.findall(r.sentence) + COUNT.findall(r.headline or "")]
    assert found, "the pattern must see the counts that are printed"
    small = [(f, n) for f, n in found if 0 < n < settings.min_cell]
    assert not small, small
    p2 = t.set_index("finding_id").loc["participation.T2", "sentence"]
    assert "%" not in p2 and "<10" in p2
    h2 = t.set_index("finding_id").loc["participation.T2", "headline"]
    assert "%" not in h2 and not re.search(r"\b4\b", h2) and "<10 of 40" in h2, h2
    assert "Retention: 12 of 40 (30%)" in t.set_index("finding_id").loc["participation.T1",
                                                                         "headline"]
    assert "<10 of them" in t.set_index("finding_id").loc["mediation.social_cure_chain.total",
                                                           "sentence"]
