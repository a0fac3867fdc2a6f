"""Findings rows of the by-arm mechanism tests: one row per chain and per cross-lagged model,
the headline test's p-value, the wing's own sentence, the status of a model that failed."""

from __future__ import annotations

import math

import pandas as pd

from pipeline.findings.comparison_mechanisms import mechanism_findings

COLS = ["analysis", "model", "test", "estimator", "paths_tested", "chisq", "df", "pvalue",
        "headline", "n_programme", "n_reference", "status", "message"]


def _tests(rows):
    return pd.DataFrame(rows, columns=COLS)


MED = _tests([
    ["chain", "serial mediation", "likelihood ratio", "ML", "a1", 6.64, 10, 0.759, False,
     500, 250, "ok", ""],
    ["chain", "serial mediation", "robust Wald", "MLR", "a1", 6.69, 10, 0.754, True,
     500, 250, "ok", ""],
])
CL = _tests([
    ["health", "CLPM", "robust Wald", "MLR", "cross", 106.1, 40, 1e-7, True, 500, 250, "ok", ""],
    ["health", "RI-CLPM", "likelihood ratio", "ML", "cross", None, None, None, True, 500, 250,
     "improper_solution", "negative variance"],
])
SAID = pd.DataFrame({"kind": ["design", "mechanism", "mechanism", "mechanism"],
                     "outcome": ["", "chain", "health/clpm", "health/riclpm"],
                     "sentence": ["design words", "no evidence the chain differs",
                                  "the paths differ", "could not be tested"]})


def test_one_row_per_headline_test_with_the_wings_sentence():
    rows = {r["finding_id"]: r for r in mechanism_findings(MED, CL, SAID)}
    assert set(rows) == {"comparison.mechanism.chain", "comparison.crosslag.health.clpm",
                         "comparison.crosslag.health.riclpm"}
    chain = rows["comparison.mechanism.chain"]
    assert chain["pvalue"] == 0.754 and chain["evidence"] == "no_clear"
    assert chain["sentence"] == "no evidence the chain differs" and chain["role"] == "primary"
    assert "robust Wald" in chain["estimand"] and "6.69 on 10 df" in chain["estimand"]
    assert rows["comparison.crosslag.health.clpm"]["evidence"] == "clear"


def test_a_model_that_could_not_be_fitted_keeps_its_status_and_reason():
    r = {x["finding_id"]: x for x in mechanism_findings(MED, CL, SAID)}[
        "comparison.crosslag.health.riclpm"]
    assert r["status"] == "improper_solution" and r["evidence"] == "not_estimable"
    assert r["message"].startswith("the model by group gave improper estimates")
    assert "comparison_crosslag_test.csv" in r["message"] and math.isnan(r["pvalue"])
    assert r["sentence"] == "could not be tested"


def test_no_tests_configured_gives_no_rows():
    assert mechanism_findings(None, None, SAID) == []
    assert mechanism_findings(MED.iloc[0:0], None, None) == []
