"""pipeline.findings.public: the counts of the findings table as published, in the table, its
sentences and the wings' messages (no count a few short of another printed count)."""

from __future__ import annotations

import re

import pandas as pd
from findings_helpers import change_row, change_table

from pipeline.findings.analysis import build_findings
from pipeline.findings.public import public_findings

FLOW = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": [630, 178, 63],
                     "pct_baseline": [100, 28.25396825, 10.0]})
PUBLIC = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": ["630", "178", "63"],
                       "pct_baseline": ["100", "28.3", "10.0"]})


def _findings(settings, **tables):
    change = change_table(
        change_row("qol", "T1", n_contributing=630, n_observed=174),
        change_row("qol", "T1", "lmm", n_contributing=621, n_observed=174),
        change_row("qol", "T1", "complete_case", n_contributing=172, n_observed=174,
                   message="complete cases n = 172 of 630"),
        change_row("qol", "T1", "mi", n_contributing=630, n_observed=174))
    return build_findings({"flow": FLOW, "flow_public": PUBLIC, "change": change} | tables,
                          {}, settings)


def test_counts_a_few_short_of_a_printed_count_are_ranges(settings):
    """174 with a score beside 178 who answered at T1 gives back the 4 without one; 621 in the
    mixed model beside 630 entrants the 9 without covariates: both are printed as the range
    "<10 short" allows, in the table, the sentences and the messages."""
    t = _findings(settings)
    pub = public_findings(t, settings.min_cell, PUBLIC).set_index("finding_id")
    row = pub.loc["change.qol.T1"]
    assert (row["n_contributing"], row["n_observed"]) == ("630", "169-177")
    assert pub.loc["change.qol.T1@lmm", "n_contributing"] == "621-629"
    assert pub.loc["change.qol.T1@complete_case", "n_contributing"] == "169-177"
    assert pub.loc["change.qol.T1@complete_case", "message"] == "complete cases n = 169-177 of 630"
    assert pub.loc["participation.T1", "n_observed"] == "178"
    text = " ".join(pub["sentence"].astype(str)) + " ".join(pub["estimand"].astype(str))
    for leak in ("174", "621 people", "172"):
        assert leak not in text, leak
    assert "169-177 answered" in row["sentence"], row["sentence"]
    assert "621-629 people" in pub.loc["change.qol.T1@lmm", "estimand"]


def test_the_analyst_table_keeps_the_true_counts(settings):
    t = _findings(settings).set_index("finding_id")
    assert t.loc["change.qol.T1", "n_observed"] == 174
    assert t.loc["change.qol.T1@lmm", "n_contributing"] == 621


def test_participation_hidden_in_the_flow_hides_its_percentage(settings):
    """A flow that prints the number answering as a range: the participation row prints the
    range and no percentage (a share of 630 gives the count back)."""
    public = PUBLIC.assign(responded=["630", "170-178", "63"])
    t = _findings(settings, flow_public=public)
    pub = public_findings(t, settings.min_cell, public).set_index("finding_id")
    assert pub.loc["participation.T1", "n_observed"] == "170-178"
    assert pub.loc["participation.T1", "estimate"] == "[c]"
    assert not re.search(r"\b178\b", " ".join(pub["sentence"].astype(str)))
