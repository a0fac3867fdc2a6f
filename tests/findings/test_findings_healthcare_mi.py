"""pipeline.findings.healthcare with the count-outcome mediation under multiple imputation: the
``role`` of each row of ``healthcare_mediation.csv`` picks the primary finding, the other method
becomes ``...@<method>`` (sensitivity, compared on the log scale), and the caveats say what
stands in for the primary method."""

from __future__ import annotations

import dataclasses

import pandas as pd

from pipeline.findings.healthcare import healthcare_findings
from pipeline.findings.table import frame

SENTENCES = pd.DataFrame([
    dict(kind="mediation", outcome="gp", analysis="gp_chain", wave="", effect="total_indirect",
         evidence="likely", sentence="One point more ... (multiple imputation).")])


def _mediation(primary_method="mi"):
    other = "complete_case" if primary_method == "mi" else "mi"
    rows = []
    for method, role, shift in ((primary_method, "primary", 1.0), (other, "sensitivity", 1.1)):
        rows += [dict(analysis="gp_chain", label="GP chain", outcome="gp", effect=e,
                      path=f"x -> {e}", method=method, role=role, rate_ratio=rr * shift,
                      ci_lower=lo * shift, ci_upper=hi * shift, n=298, conf=0.95, status="ok",
                      message=f"{method} rows")
                 for e, rr, lo, hi in (("direct", 0.94, 0.79, 1.11),
                                       ("total_indirect", 0.93, 0.86, 0.99),
                                       ("total", 0.87, 0.75, 1.01))]
    return pd.DataFrame(rows)


def test_mi_rows_stand_in_for_fiml(settings):
    s = dataclasses.replace(settings, primary="fiml")
    rows = {r["finding_id"]: r for r in healthcare_findings(None, _mediation(), SENTENCES, s)}
    ind = rows["healthcare_mediation.gp_chain.total_indirect"]
    cc = rows["healthcare_mediation.gp_chain.total_indirect@complete_case"]
    assert ind["role"] == "primary" and ind["method"] == "mi"
    assert "stands_in:mi" in ind["caveats"] and "mar_assumption" in ind["caveats"]
    assert ind["message"].startswith("multiple imputation stands in for fiml.")
    assert "Rubin's rules" in ind["ci_label"] and ind["sentence"].endswith("imputation).")
    assert cc["role"] == "sensitivity" and cc["sentence"] == ""
    assert "stands_in" not in cc["caveats"] and "percentile bootstrap" in cc["ci_label"]
    assert cc["agrees_with_primary"] != ""  # judged against the MI row
    frame(list(rows.values()))  # contract columns


def test_mi_as_the_primary_method_stands_in_for_nothing(settings):
    s = dataclasses.replace(settings, primary="mi")
    rows = {r["finding_id"]: r for r in healthcare_findings(None, _mediation(), SENTENCES, s)}
    ind = rows["healthcare_mediation.gp_chain.total_indirect"]
    assert "stands_in" not in ind["caveats"] and ind["message"] == "mi rows"


def test_the_wings_own_stand_in_words_are_not_repeated(settings):
    s = dataclasses.replace(settings, primary="fiml")
    said = _mediation().assign(message="multiple imputation stands in for the primary method")
    ind = next(r for r in healthcare_findings(None, said, SENTENCES, s)
               if r["finding_id"] == "healthcare_mediation.gp_chain.total_indirect")
    assert ind["message"] == "multiple imputation stands in for the primary method"


def test_complete_cases_primary_with_mi_as_sensitivity(settings):
    s = dataclasses.replace(settings, primary="complete_case")
    rows = {r["finding_id"]: r for r in
            healthcare_findings(None, _mediation("complete_case"), SENTENCES, s)}
    assert rows["healthcare_mediation.gp_chain.total"]["method"] == "complete_case"
    mi = rows["healthcare_mediation.gp_chain.total@mi"]
    assert mi["role"] == "sensitivity" and "mar_assumption" in mi["caveats"]
