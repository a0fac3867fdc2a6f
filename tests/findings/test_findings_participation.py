"""Participation findings: numbers from the public attrition table only (disclosure)."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.findings.analysis import build_findings
from pipeline.findings.public import public_findings

FLOW = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": [630, 178, 6],
                     "pct_baseline": [100, 28.25396825, 0.952381]})
PUBLIC = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": ["630", "178", "<10"],
                       "pct_baseline": ["100", "28.3", "[c]"]})


def test_participation_sentences_use_public_numbers(settings):
    t = build_findings({"flow": FLOW, "flow_public": PUBLIC}, {}, settings)
    t = t.set_index("finding_id")
    assert t.loc["participation.T0", "sentence"] == \
        "630 people entered the evaluation at pathway entry."
    s1 = t.loc["participation.T1", "sentence"]
    assert s1.startswith("Of the 630 people who entered, 178 (28%, 95% CI (Wilson) ")
    s2 = t.loc["participation.T2", "sentence"]
    assert not re.search(r"\b6\b", s2.replace("6-9", "")) and "%" not in s2
    assert "not shown to protect confidentiality (<10)" in s2
    pub = public_findings(t.reset_index(), 10).set_index("finding_id")
    assert pub.loc["participation.T2", "n_observed"] == "<10"
    assert pub.loc["participation.T2", "estimate"] == "[c]"
    assert pub.loc["participation.T2", "ci_lower"] == "[c]"
    assert pub.loc["participation.T1", "n_observed"] == "178"


def test_retention_interval_matches_r(settings):
    """Wilson interval of the share who answered, against R:
    prop.test(178, 630, correct = FALSE)$conf.int * 100 -> 24.8782173860 31.8933070722
    prop.test(63, 630, correct = FALSE)$conf.int * 100  ->  7.8943804400 12.5904674685"""
    flow = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": [630, 178, 63]})
    t = build_findings({"flow": flow}, {}, settings).set_index("finding_id")
    assert abs(t.loc["participation.T1", "ci_lower"] - 24.8782173860) < 1e-8
    assert abs(t.loc["participation.T1", "ci_upper"] - 31.8933070722) < 1e-8
    assert abs(t.loc["participation.T2", "ci_lower"] - 7.8943804400) < 1e-8
    assert abs(t.loc["participation.T2", "ci_upper"] - 12.5904674685) < 1e-8
    assert t.loc["participation.T2", "sentence"] == (
        "The number of people who answered at 6-9 months is not available.")  # no public table


def test_no_share_or_interval_of_a_hidden_number_of_entrants(settings):
    """Found on a real 2-person REDCap export: "Of the <10 people who entered, 0 (0%, 95% CI
    (Wilson) 0% to 66%) answered": 3.84 / (n + 3.84) = 0.66 gives n = 2 back. With the number
    of entrants hidden, neither the sentence nor the report's table prints a share or its
    interval."""
    from pipeline.findings.table import frame
    from pipeline.report.blocks import findings_rows

    flow = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": [2, 2, 0],
                         "pct_baseline": [100.0, 100.0, 0.0]})
    public = pd.DataFrame({"wave": ["T0", "T1", "T2"], "responded": ["<10", "<10", "0"],
                           "pct_baseline": ["[c]", "[c]", "0"]})
    t = build_findings({"flow": flow, "flow_public": public}, {}, settings)
    s2 = t.set_index("finding_id").loc["participation.T2", "sentence"]
    assert s2 == "Of the <10 people who entered, 0 answered at 6-9 months."
    for row in findings_rows(frame(t[t["kind"] == "participation"].to_dict("records")), 10):
        assert row[3] in ("[c]", "") and row[4] in ("[c]", ""), row
        assert "66" not in " ".join(row) and "34.2" not in " ".join(row)


def test_headline_and_sentence_agree_when_the_entrants_are_hidden(settings):
    flow = pd.DataFrame({"wave": ["T0", "T1"], "responded": [2, 0],
                         "pct_baseline": [100.0, 0.0]})
    public = pd.DataFrame({"wave": ["T0", "T1"], "responded": ["<10", "0"],
                           "pct_baseline": ["[c]", "0"]})
    t = build_findings({"flow": flow, "flow_public": public}, {}, settings)
    r = t.set_index("finding_id").loc["participation.T1"]
    assert r["headline"] == "Retention: 0 of <10 answered at about 4 months."
    assert "%" not in r["headline"] + r["sentence"]
