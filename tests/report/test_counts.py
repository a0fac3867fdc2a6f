"""pipeline.report.counts: the counts the report prints from the findings and the analyst
tables, as one output beside the flow."""

from __future__ import annotations

import pandas as pd

from pipeline.report.counts import print_counts

FLOW_PUB = pd.DataFrame({"wave": ["T0", "T1"], "responded": ["12", "<10"]})


def test_report_counts_beside_the_entrants():
    """12 entrants: 11 in a mixed model, 11 with a reliability at entry and 11 in the primary
    estimand are each "one short": printed as 3-11; 12 stays; small ones are <10."""
    findings = pd.DataFrame({
        "kind": ["participation", "change", "change"], "wave": ["T0", "T1", "T1"],
        "method": ["observed", "lmm", "mi"], "n_contributing": [12, 11, 12],
        "n_observed": [12, 3, 3]})
    tables = {"attrition_flow_public": FLOW_PUB,
              "missing_data_primary": pd.DataFrame({"method": ["mi", "complete_case"],
                                                    "term": ["mean change lon T0->T1"] * 2,
                                                    "n": [11, 3]}),
              "reliability": pd.DataFrame({"scale": ["gm", "gm"], "wave": ["T0", "T1"],
                                           "n": [11, 3]})}
    out = print_counts(findings, tables, 10, "T0")
    assert list(out["n_contributing"]) == ["12", "3-11", "12"]
    assert list(out["n_observed"]) == ["12", "<10", "<10"]
    assert list(tables["missing_data_primary"]["n_shown"]) == ["3-11", "<10"]
    assert list(tables["reliability"]["n_shown"]) == ["3-11", "<10"]
    assert findings["n_contributing"].tolist() == [12, 11, 12]  # the input is not changed


def test_quality_counts_a_few_off_the_flow():
    """633 ids normalised beside 630 entrants gives back 3 duplicate rows: a range; 630 and
    marks stay; 11 is far from every printed count."""
    from pipeline.report.counts import quality_counts

    shown = pd.DataFrame({"wave": ["T0"] * 4, "measure": ["participants", "cells_recoded",
                                                          "rows_dropped", "scores_missing"],
                          "n": [630, 633, "<10", 11]}, dtype=object)
    flow = pd.DataFrame({"wave": ["T0"], "responded": ["630"]})
    assert list(quality_counts(shown, 10, flow)["n"]) == [630, "631-639", "<10", 11]
    # no flow (one wave): the table's own participants count stays as printed
    assert list(quality_counts(shown, 10, None)["n"]) == [630, "631-639", "<10", 11]
