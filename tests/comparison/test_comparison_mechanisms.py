"""pipeline.comparison.mechanisms: the by-arm sentences say plainly whether the paths differ."""

from __future__ import annotations

import pandas as pd

from pipeline.comparison.mechanisms import arm_test_sentence, mechanisms
from pipeline.comparison.settings import ArmPanel


def _test(p: float, status: str = "ok", message: str = "") -> pd.DataFrame:
    return pd.DataFrame([
        {"test": "likelihood ratio (equal vs free paths)", "chisq": 20.0, "df": 10, "pvalue": p,
         "headline": False, "n_programme": 500, "n_reference": 250, "status": status,
         "message": message},
        {"test": "robust Wald (paths equal across arms)", "chisq": 21.5, "df": 10, "pvalue": p,
         "headline": True, "n_programme": 500, "n_reference": 250, "status": status,
         "message": message}])


def test_a_difference_is_said_with_the_headline_test():
    text = arm_test_sentence(_test(0.003), "the chain A -> B", "SP", "UC")
    assert text.startswith("The chain A -> B worked differently in SP and in UC: its paths "
                           "differed between the groups (robust Wald")
    assert "21.50" in text and "df = 10" in text and "limited power" not in text


def test_no_evidence_says_the_test_has_limited_power_with_the_arms_sizes():
    text = arm_test_sentence(_test(0.4), "the chain", "SP", "UC")
    assert text.startswith("There was no clear evidence that the chain worked differently in "
                           "SP and in UC")
    assert text.endswith("with 500 and 250 people, the test can miss a modest difference.")
    same = arm_test_sentence(_test(0.4), "the chain", "SP", "UC", {"SP": 500, "UC": 250})
    assert same == text
    fewer = arm_test_sentence(_test(0.4), "the chain", "SP", "UC", {"SP": 503, "UC": 250})
    assert fewer.endswith("with at most 503 and 250 people, the test can miss a modest "
                          "difference.")  # no new count


def test_the_arms_sizes_are_said_only_as_the_flow_prints_them():
    # an arm's entrants hidden or small in the public flow: no number (n = 500 would be one)
    for shown in ({"SP": "[c]", "UC": 250}, {"SP": 500, "UC": "<10"}):
        text = arm_test_sentence(_test(0.4), "the chain", "SP", "UC", shown)
        assert text.endswith("with arms of the sizes shown in the flow, the test can miss a "
                             "modest difference.")
        assert "500" not in text and "250" not in text


def test_a_model_that_could_not_be_fitted_says_why():
    text = arm_test_sentence(_test(float("nan"), "improper_solution",
                               "Negative variance of RI_qol."), "the RI-CLPM", "SP", "UC")
    assert text == ("Whether the RI-CLPM worked differently in SP and UC could not be tested: the "
                    "model by group gave improper estimates (such as a negative variance), which "
                    "often means too few people for its parameters.")


class _S:
    chains = ()
    panels = (ArmPanel("one", ("x",), ("T1", "T2"), ("clpm",)),)
    fiml_se = "robust"
    conf_level = 0.95
    mc_draws = 100
    group = "arm"


def test_mechanisms_gives_one_sentence_per_model_even_when_nothing_is_estimable():
    wide = pd.DataFrame({"arm": ["a", "b"] * 20, "x_T1": range(40), "x_T2": range(40)})
    m = mechanisms(wide, _S(), "b", "a", 1, {"x": "Loneliness"})
    assert len(m.sentences) == 1 and m.sentences["kind"].iloc[0] == "mechanism"
    assert "could not be tested: one construct" in m.sentences["sentence"].iloc[0]
    assert "Loneliness" in m.sentences["sentence"].iloc[0]
    assert m.mediation.empty and m.crosslag_test["status"].tolist() == ["not_run"]
