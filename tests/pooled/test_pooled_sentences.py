"""Pooled sentences: plain words, numbers from the tables, heterogeneity said honestly."""

from __future__ import annotations

import pandas as pd

from pipeline.pooled.sentences import change_sentence, mediation_sentence, scheme_sentence
from pipeline.pooled.settings import Construct

LONELINESS = Construct("loneliness", "Loneliness (UCLA-3)", 3.0, 9.0, "sum")
ROW = {"status": "ok", "k": 3, "est": -0.43, "ci_lower": -0.72, "ci_upper": -0.14,
       "ci_level": 0.95, "I2": 62.5, "Q_pvalue": 0.074, "pi_lower": -0.92, "pi_upper": 0.06}


def test_change_sentence():
    text = change_sentence(ROW, LONELINESS, "About 4 months")
    assert text.startswith("Across the 3 schemes, loneliness (UCLA-3) decreased by 0.43 from "
                           "entry to about 4 months (mean change \u22120.43 points on the 3\u20139 "
                           "UCLA-3 sum; 95% CI \u22120.72 to \u22120.14, Knapp-Hartung)")
    assert "the schemes did not differ detectably (I\u00b2 = 62%, Q test p = 0.07)" in text
    assert "can miss real differences" in text
    assert text.endswith("between \u22120.92 and 0.06 (95% prediction interval).")


def test_schemes_that_differ_and_a_change_not_pooled():
    text = change_sentence(ROW | {"Q_pvalue": 0.01, "I2": 80.0}, LONELINESS, "T1")
    assert "the schemes differed more than chance alone would explain" in text
    text = change_sentence({"status": "not_estimable", "message": "1 scheme(s) have an "
                            "estimate"}, LONELINESS, "T2")
    assert text == "The change in loneliness (UCLA-3) to T2 was not pooled: 1 scheme(s) have " \
                   "an estimate."


def test_scheme_sentence_uses_the_public_texts():
    pub = pd.DataFrame({"scheme": ["a", "a", "b", "b", "All schemes", "All schemes"],
                        "wave": ["T0", "T1"] * 3, "entered": [200, 200, 95, 95, 295, 295],
                        "responded": [200, 57, 95, "86-94", 295, "143-151"],
                        "pct_entry": ["100.0%", "28.5%", "100.0%", "91-99%", "100.0%",
                                      "48-51%"], "schemes": [1, 1, 1, 1, 2, 2]})
    assert scheme_sentence(pub) == ("2 schemes took part: 295 people entered; 143-151 "
                                    "(48-51%) answered at T1.")


def test_mediation_sentence():
    test = {"status": "ok", "chisq_diff": 14.2, "df_diff": 12, "pvalue": 0.29}
    assert "the paths did not differ detectably across the schemes" in mediation_sentence(
        test, "GM -> QoL", 3)
    assert "was not compared" in mediation_sentence(
        {"status": "not_converged", "message": "no"}, "GM -> QoL", 3)
