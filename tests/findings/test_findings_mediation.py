"""Mediation findings on crafted tables: four terms per chain from the primary method, the n
with the outcome, units, the design caveat, stand-ins, agreement."""

from __future__ import annotations

import pandas as pd
from findings_helpers import mediation_table

from pipeline.findings.analysis import build_findings


def _build(settings, est, status=None):
    return build_findings({"mediation": est, "mediation_status": status}, {},
                          settings).set_index("finding_id")


def test_four_terms_from_the_primary_method(settings):
    est = pd.concat([mediation_table("fiml"),
                     mediation_table("mi", total=(2.1, -0.2, 4.5), n_outcome=174),
                     mediation_table("complete_case", n=171, n_outcome=171)])
    t = _build(settings, est)
    ids = [f"mediation.social_cure_chain.{k}" for k in
           ("total", "direct", "total_indirect", "serial")]
    prim = t.loc[ids]
    assert (prim["role"] == "primary").all() and (prim["method"] == "fiml").all()
    assert list(prim["term"]) == ["total", "direct", "ind_total", "ind_serial"]
    assert list(prim["evidence"]) == ["likely", "no_clear", "likely", "no_clear"]
    assert (prim["n_observed"] == 174).all() and (prim["n_contributing"] == 630).all()
    for s in prim["sentence"]:
        assert "Among 630 people (174 of them with quality of life measured)" in s
        assert "points on the 0\u2013100 EQ VAS" in s and "(scale 1\u20137)" in s
        assert "measured at the same wave" in s and "associations, not effects" in s
        assert "missing at random" in s
    assert "was likely associated with higher quality of life" in prim.iloc[0]["sentence"]
    assert ("through the chain community belonging \u2192 social support \u2192 loneliness"
            in prim.iloc[3]["sentence"])
    assert "0.07 points" in prim.iloc[3]["sentence"]  # two significant digits, not "0.1"
    assert t.loc["mediation.social_cure_chain.total@mi", "agrees_with_primary"] == \
        "clarity_differs"
    assert "concurrent_mediators" in prim.iloc[0]["caveats"]


def test_stand_in_when_fiml_not_estimable(settings):
    est = mediation_table("mi")
    status = pd.DataFrame([dict(analysis="social_cure_chain", method="fiml",
                                status="not_converged", message="FIML did not converge"),
                           dict(analysis="social_cure_chain", method="mi", status="ok",
                                message="")])
    t = _build(settings, est, status)
    p = t.loc["mediation.social_cure_chain.total"]
    assert p["method"] == "mi" and "stands_in:mi" in p["caveats"]
    assert "could not give this estimate (the model's estimation did not settle on an answer)" \
        in p["sentence"]
    assert "FIML did not converge" in p["message"]  # the technical reason stays in the table


def test_missing_table_names_it(settings):
    t = build_findings({}, {}, settings).set_index("finding_id")
    p = t.loc["mediation.social_cure_chain.total"]
    assert p["status"] == "not_estimable" and "mediation_estimates.csv" in p["message"]
