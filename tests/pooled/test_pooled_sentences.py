"""Pooled sentences: plain words, numbers from the tables, heterogeneity said honestly."""

from __future__ import annotations

import pandas as pd

from pipeline.pooled.scaled import mark_headline
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
    test = {"test": "lr_ml", "status": "ok", "chisq_diff": 14.2, "df_diff": 12, "pvalue": 0.29}
    assert "the paths did not differ detectably across the schemes" in mediation_sentence(
        test, "GM -> QoL", 3)
    assert "was not compared" in mediation_sentence(
        {"test": "lr_ml", "status": "not_converged", "message": "no"}, "GM -> QoL", 3)


def _three(lr_p=0.29, scaled_p=0.31, wald_p=0.015, scaled_status="ok"):
    rows = [{"test": "lr_ml", "status": "ok", "chisq_diff": 14.2, "df_diff": 12, "pvalue": lr_p},
            {"test": "lr_scaled_mlr", "status": scaled_status, "chisq_diff": 13.9,
             "df_diff": 12, "pvalue": scaled_p, "scaling_factor": 1.02,
             "message": "" if scaled_status == "ok" else "cd < 0"},
            {"test": "wald_mlr", "status": "ok", "chisq_diff": 25.0, "df_diff": 12,
             "pvalue": wald_p}]
    return mark_headline(rows)


def test_mediation_sentence_leads_with_the_scaled_lr_test_and_says_when_tests_disagree():
    text = mediation_sentence(_three(), "GM -> QoL", 3)
    assert "did not differ detectably" in text
    assert ("(scaled likelihood-ratio test of equal paths, MLR: \u03c7\u00b2 = 13.90, df = 12, "
            "p = 0.31; likelihood-ratio test, ML: \u03c7\u00b2 = 14.20, df = 12") in text
    assert "robust Wald test, MLR: \u03c7\u00b2 = 25.00, df = 12, p = 0.01" in text
    assert "The tests disagree, so the answer is uncertain; it follows the scaled " in text
    assert "can find differences too readily" in text
    assert "disagree" not in mediation_sentence(_three(wald_p=0.4), "GM -> QoL", 3)
    # the headline decides the verdict, not the plain LR test
    assert "the paths differed" in mediation_sentence(_three(lr_p=0.2, scaled_p=0.01,
                                                             wald_p=0.02), "c", 3)


def test_mediation_sentence_falls_back_to_the_robust_wald_test():
    rows = _three(scaled_status="not_estimable")
    assert [r["headline"] for r in rows] == [False, False, True]
    text = mediation_sentence(rows, "GM -> QoL", 3)
    assert "the paths differed" in text
    assert "(robust Wald test of equal paths, MLR: \u03c7\u00b2 = 25.00" in text
    assert "scaled" not in text.split(".")[0] and "it follows the robust Wald test" in text
    failed = mediation_sentence(mark_headline([_three()[0], {"test": "wald_mlr",
                                                             "status": "not_converged"}]),
                                "GM -> QoL", 3)
    assert "Wald" not in failed and "likelihood-ratio test of equal paths, ML" in failed


def test_scheme_sentence_says_how_many_schemes_have_a_wave():
    pub = pd.DataFrame({"scheme": ["a", "a", "a", "b", "b"] + ["All schemes"] * 3,
                        "wave": ["T0", "T1", "T2", "T0", "T1", "T0", "T1", "T2"],
                        "entered": [100, 100, 100, 90, 90, 190, 190, 100],
                        "responded": [100, 50, 20, 90, 40, 190, 90, 20],
                        "pct_entry": ["100%", "50%", "20%", "100%", "44%", "100%", "47%",
                                      "20%"], "schemes": [1] * 5 + [2, 2, 1]})
    assert scheme_sentence(pub).endswith("20 (20%) answered at T2 (the one scheme with that "
                                         "wave).")
    three = pub.assign(schemes=[1] * 5 + [3, 3, 2])
    three.loc[len(three)] = ["c", "T0", 50, 50, "100%", 1]
    assert scheme_sentence(three).endswith("(the 2 schemes with that wave).")


def test_crosslag_sentence_names_the_common_waves_and_the_waves_left_out():
    lr = {"test": "lr_ml", "status": "ok", "chisq_diff": 28.6, "df_diff": 20, "pvalue": 0.096}
    wald = {"test": "wald_mlr", "status": "ok", "chisq_diff": 30.0, "df_diff": 20,
            "pvalue": 0.07}
    text = crosslag_sentence(mark_headline([lr, wald]), "CLPM", ["Loneliness", "Belonging"], 2,
                             ["T0", "T1"], {"north": ["T2"]})
    assert text.startswith("The cross-lagged paths among loneliness and belonging (CLPM, one "
                           "multi-group model of the 2 schemes, on T0 and T1, the waves every "
                           "scheme has; left out: T2 of north) did not differ detectably")
    assert "(robust Wald test of equal cross-lags, MLR: " in text and "disagree" not in text
    assert "; likelihood-ratio test, ML: \u03c7\u00b2 = 28.60" in text
    bad = {"status": "not_identified", "message": "an RI-CLPM needs at least 3 waves"}
    bad = [bad | {"test": t} for t in ("lr_ml", "lr_scaled_mlr", "wald_mlr")]
    text = crosslag_sentence(mark_headline(bad), "RI-CLPM", ["Loneliness", "Belonging"], 2,
                             ["T0", "T1"], {"north": ["T2"]})
    assert text == ("The cross-lagged paths among loneliness and belonging (RI-CLPM) were not "
                    "compared across the 2 schemes: an RI-CLPM needs at least 3 waves (left "
                    "out: T2 of north).")
