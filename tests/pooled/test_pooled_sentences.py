"""Pooled sentences: plain words, numbers from the tables, heterogeneity said honestly."""

from __future__ import annotations

import pandas as pd

from pipeline.pooled.sentences import (
    change_sentence,
    crosslag_sentence,
    mediation_sentence,
    scheme_sentence,
)
from pipeline.pooled.settings import Construct

LONELINESS = Construct("loneliness", "Loneliness (UCLA-3)", 3.0, 9.0, "sum")
ROW = {"status": "ok", "k": 3, "est": -0.43, "ci_lower": -0.72, "ci_upper": -0.14,
       "ci_level": 0.95, "I2": 62.5, "Q_pvalue": 0.074, "pi_lower": -0.92, "pi_upper": 0.06}


def test_change_sentence():
    text = change_sentence(ROW, LONELINESS, "About 4 months")
    assert text.startswith("Across the 3 schemes, loneliness (UCLA-3) decreased by 0.43 from "
                           "entry to about 4 months (mean change \u22120.43 points on the 3\u20139 "
                           "UCLA-3 sum; 95% CI \u22120.72 to \u22120.14, Knapp-Hartung)")
    assert ("the schemes did not differ detectably (I\u00b2 = 62%, Q test p = 0.07; with "
            "only 3 schemes this test can miss real differences). In a new scheme") in text
    assert text.endswith("between \u22120.92 and 0.06 (95% prediction interval).")


def test_schemes_that_differ_and_a_change_not_pooled():
    text = change_sentence(ROW | {"Q_pvalue": 0.01, "I2": 80.0}, LONELINESS, "T1")
    assert "the schemes differed more than chance alone would explain" in text
    text = change_sentence({"status": "not_estimable", "message": "1 scheme has an "
                            "estimate"}, LONELINESS, "T2")
    assert text == "The change in loneliness (UCLA-3) to T2 was not pooled: 1 scheme has " \
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


def test_mediation_sentence_with_the_robust_wald_test_beside_the_lr_test():
    lr = {"status": "ok", "chisq_diff": 14.2, "df_diff": 12, "pvalue": 0.29}
    wald = {"status": "ok", "chisq_diff": 25.0, "df_diff": 12, "pvalue": 0.015}
    text = mediation_sentence(lr, "GM -> QoL", 3, wald)
    assert "likelihood-ratio test of equal paths, ML: \u03c7\u00b2 = 14.20, df = 12" in text
    assert "robust Wald test, MLR: \u03c7\u00b2 = 25.00, df = 12, p = 0.01" in text
    assert "The two tests disagree, so the answer is uncertain" in text
    same = mediation_sentence(lr, "GM -> QoL", 3, wald | {"pvalue": 0.4})
    assert "disagree" not in same
    failed = mediation_sentence(lr, "GM -> QoL", 3, {"status": "not_converged"})
    assert "Wald" not in failed


def test_scheme_sentence_says_how_many_schemes_have_a_wave():
    pub = pd.DataFrame({"scheme": ["a", "a", "a", "b", "b"] + ["All schemes"] * 3,
                        "wave": ["T0", "T1", "T2", "T0", "T1", "T0", "T1", "T2"],
                        "entered": [100, 100, 100, 90, 90, 190, 190, 100],
                        "responded": [100, 50, 20, 90, 40, 190, 90, 20],
                        "pct_entry": ["100%", "50%", "20%", "100%", "44%", "100%", "47%",
                                      "20%"], "schemes": [1] * 5 + [2, 2, 1]})
    assert scheme_sentence(pub).endswith("20 (20%) answered at T2 (the 1 scheme with that "
                                         "wave).")


def test_crosslag_sentence_names_the_common_waves_and_the_waves_left_out():
    lr = {"status": "ok", "chisq_diff": 28.6, "df_diff": 20, "pvalue": 0.096}
    wald = {"status": "ok", "chisq_diff": 30.0, "df_diff": 20, "pvalue": 0.07}
    text = crosslag_sentence(lr, wald, "CLPM", ["Loneliness", "Belonging"], 2, ["T0", "T1"],
                             {"north": ["T2"]})
    assert text.startswith("The cross-lagged paths among loneliness, belonging (CLPM, one "
                           "multi-group model of the 2 schemes, on the waves every scheme has "
                           "(T0, T1; left out: T2 of north)) did not differ detectably")
    assert "robust Wald test, MLR" in text and "disagree" not in text
    bad = {"status": "not_identified", "message": "an RI-CLPM needs at least 3 waves"}
    text = crosslag_sentence(bad, bad, "RI-CLPM", ["Loneliness", "Belonging"], 2,
                             ["T0", "T1"], {"north": ["T2"]})
    assert text == ("The cross-lagged paths among loneliness, belonging (RI-CLPM) were not "
                    "compared across the 2 schemes: an RI-CLPM needs at least 3 waves (left "
                    "out: T2 of north).")
