"""Tests for pipeline.change.sentences: group-change and reliable-change sentences, every branch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.change.rci import SHARE_COLUMNS, public_rci_shares
from pipeline.change.sentences import bands_sentence, change_sentence, rci_sentence, sentences_table
from pipeline.errors import DataError


def _con(est, lo, hi, status="ok", flag="", wave="T1", months=4.0):
    return pd.DataFrame({"construct": ["qol"], "wave": [wave], "months": [months], "est": [est],
                         "ci_lower_adj": [lo], "ci_upper_adj": [hi], "status": [status],
                         "flag": [flag]})


LABEL = "Quality of life"
PHRASES = {"T1": "at about 4 months"}


def test_sentence_higher_when_adjusted_ci_excludes_zero():
    # GRADE-26 verb: a single group over time earns "likely", never the certain "increased"
    s = change_sentence(_con(6.1, 2.3, 9.9), "qol", LABEL, PHRASES)
    assert s == ("Quality of life likely increased between entry and about 4 months "
                 "(by 6.1 points, 95% CI 2.3 to 9.9).")


def test_sentence_labels_the_adjusted_interval_and_gives_units():
    c = pd.concat([_con(6.1, 2.3, 9.9), _con(2.0, 0.5, 3.5, wave="T2", months=7.0)])
    c["p_adjust"] = "holm"
    s = change_sentence(c, "qol", LABEL, PHRASES, units="points on the 0\u2013100 EQ VAS")
    assert ("(by 6.1 points on the 0\u2013100 EQ VAS, 95% CI 2.3 to 9.9, Bonferroni-adjusted "
            "over 2 contrasts)") in s
    c["ci_label_adj"] = "99% CI, Sidak-adjusted over 2 contrasts"
    assert "99% CI 2.3 to 9.9, Sidak-adjusted over 2 contrasts" in change_sentence(c, "qol")


def test_sentence_lower_reports_magnitude():
    s = change_sentence(_con(-0.42, -0.70, -0.14), "qol", "Loneliness", PHRASES,
                        scale_range=(3, 9))
    assert s == ("Loneliness likely decreased between entry and about 4 months "
                 "(by 0.42 points, 95% CI 0.14 to 0.70).")


def test_sentence_no_clear_change_when_ci_includes_zero():
    s = change_sentence(_con(1.2, -0.8, 3.2), "qol", LABEL)
    assert s == ("There was no clear change in quality of life between entry and 4 months "
                 "(difference 1.2 points, 95% CI \u22120.8 to 3.2).")
    assert "higher" not in s and "improv" not in s


def test_sentence_decimals():
    assert "by 6.12 points" in change_sentence(_con(6.123, 2.3, 9.9), "qol", decimals=2)
    assert "by 6.1 points" in change_sentence(_con(6.123, 2.3, 9.9), "qol", scale_range=(0, 100))
    assert "by 0.30 points" in change_sentence(_con(0.3, 0.1, 0.5), "qol", scale_range=(1, 7))


def test_sentence_small_n_and_not_estimable_and_failed():
    assert change_sentence(_con(9, 1, 17, flag="small_n"), "qol", LABEL, PHRASES) == (
        "Too few people answered at about 4 months to describe change in quality of life.")
    s = change_sentence(_con(np.nan, np.nan, np.nan, status="not_estimable"), "qol", LABEL)
    assert s == ("Change in quality of life from entry to 4 months could not be estimated from "
                 "these data.")
    s = change_sentence(_con(np.nan, np.nan, np.nan, status="failed"), "qol", LABEL)
    assert "did not converge" in s and "could not be estimated" in s


def test_sentence_too_few_people_with_not_estimable_status():
    # fit_trajectory now withholds a wave with fewer than min_cell people (status not_estimable)
    c = _con(np.nan, np.nan, np.nan, status="not_estimable", flag="small_n").assign(
        contrast="T1 - T0",
        message="only 1 person answered at T1 (fewer than 10); change is not estimated")
    assert change_sentence(c, "qol", LABEL, PHRASES) == (
        "Too few people answered at about 4 months to describe change in quality of life.")
    # too few at baseline
    c = _con(np.nan, np.nan, np.nan, status="not_estimable").assign(
        contrast="T1 - T0",
        message="only 4 people answered at T0 (fewer than 10); change is not estimated")
    assert change_sentence(c, "qol", LABEL, PHRASES) == (
        "Too few people answered at entry to describe change in quality of life.")
    # a failed model is still reported as such, even for a small wave
    c = _con(np.nan, np.nan, np.nan, status="failed", flag="small_n")
    assert "did not converge" in change_sentence(c, "qol", LABEL, PHRASES)


def test_sentences_from_fit_with_one_person_at_follow_up():
    from pipeline.change.trajectory import fit_trajectory

    rng = np.random.default_rng(5)
    rows = []
    for w, k, mo in (("T0", 60, 0.0), ("T1", 30, 4.0), ("T2", 1, 7.0)):
        rows.append(pd.DataFrame({"pid": [f"p{i}" for i in range(k)], "wave": w, "months": mo,
                                  "qol": 60 + rng.normal(0, 10, k)}))
    res = fit_trajectory(pd.concat(rows, ignore_index=True), "qol", ["T0", "T1", "T2"])
    s = change_sentence(res.contrasts, "qol", LABEL,
                        {"T1": "at about 4 months", "T2": "at 6-9 months"})
    assert s.endswith("Too few people answered at 6-9 months to describe change in quality of "
                      "life.")
    assert "between entry and about 4 months" in s or "at about 4 months than" in s


def test_sentence_keeps_acronyms_and_joins_waves():
    c = pd.concat([_con(6.1, 2.3, 9.9), _con(2.0, -1.0, 5.0, wave="T2", months=7.0)])
    s = change_sentence(c, "qol", "EQ VAS", PHRASES)
    assert s.startswith("EQ VAS likely increased")
    assert "no clear change in EQ VAS between entry and 7 months" in s


def test_sentence_never_causal():
    for args in [(6.1, 2.3, 9.9), (-6.1, -9.9, -2.3), (1.0, -1.0, 3.0)]:
        s = change_sentence(_con(*args), "qol", LABEL).lower()
        assert not any(w in s for w in ("programme", "improved", "caused", "because of", "effect"))


def test_sentence_unknown_construct_raises():
    with pytest.raises(DataError, match="nope"):
        change_sentence(_con(1, 0.5, 2), "nope")


def test_sentence_verb_agrees_with_the_construct():
    from pipeline.change.sentences import _verb

    assert _verb("Group memberships") == "were"
    assert _verb("Loneliness (UCLA-3)") == "was"
    assert _verb("Quality of life (EQ VAS)") == "was"
    assert _verb("Social support") == "was"


def _shares(n=177, counts=(17, 152, 8), status="ok", message=""):
    cats = ["reliably_improved", "no_reliable_change", "reliably_deteriorated"]
    return pd.DataFrame({
        "construct": "belonging", "wave": "T1", "category": cats, "count": list(counts), "n": n,
        "share": [c / n for c in counts], "ci_lower": [0.06, 0.80, 0.02],
        "ci_upper": [0.15, 0.90, 0.09], "status": status, "message": message,
    })


def test_ok_with_small_count_suppressed():
    s = rci_sentence(_shares(), "belonging", "T1", label="Community belonging",
                     wave_phrase="at about 4 months")
    assert s == ("Of the 177 people with community belonging scores at entry and at about 4 "
                 "months, 10% (95% CI 6% to 15%) reliably improved and fewer than 10 people "
                 "reliably deteriorated.")


def test_a_count_hidden_in_the_public_table_is_never_a_percentage():
    # issue 11: 17% of 63 fixes the count at 11; with the published "no reliable change" count
    # the suppressed cell is recovered. The sentence quotes only what the public table shows.
    public = _shares().astype({"count": object})
    public.loc[0, "count"] = "[c]"
    s = rci_sentence(_shares(), "belonging", "T1", label="Community belonging",
                     wave_phrase="at about 4 months", public=public)
    assert "%" not in s and "a number of people not shown" in s
    t = sentences_table(_con(1.0, -1.0, 3.0).assign(construct="belonging"),
                        _shares(counts=(11, 45, 7), n=63), {"belonging": "Belonging"},
                        {"belonging": (1, 7)}, {"T0": "Entry", "T1": "About 4 months"})
    rci = t.loc[t["kind"] == "reliable_change", "sentence"].iloc[0]
    assert "fewer than 10 people reliably deteriorated" in rci
    assert "17%" in rci  # shown: the public table hides "no reliable change" instead


def test_not_estimable_says_why():
    s = rci_sentence(_shares(status="not_estimable", message="no reliability for 'qol'."),
                     "belonging", "T1", label="Quality of life (EQ VAS)",
                     wave_phrase="at about 4 months")
    assert s.startswith("Reliable change in quality of life (EQ VAS) at about 4 months could not")
    assert "no reliability" in s


def test_too_few_people():
    s = rci_sentence(_shares(n=8, counts=(1, 6, 1)), "belonging", "T1", label="Belonging",
                     wave_phrase="at 6-9 months")
    assert s.startswith("Too few people answered at 6-9 months")


def test_sentences_table_rows_per_construct_and_wave():
    con = pd.concat([_con(6.1, 2.3, 9.9), _con(1.0, -1.0, 3.0, wave="T2", months=7.0)])
    t = sentences_table(con, _shares().assign(construct="qol"), {"qol": LABEL}, {"qol": (0, 100)},
                        {"T0": "Entry", "T1": "About 4 months", "T2": "6-9 months"})
    assert list(t.columns) == ["construct", "kind", "wave", "sentence"]
    assert list(t["kind"]) == ["group_change", "reliable_change", "reliable_change"]
    assert list(t["wave"]) == ["", "T1", "T2"]
    assert t["sentence"].iloc[0].startswith(
        "Quality of life likely increased between entry and about 4 months")
    assert "between entry and 6-9 months" in t["sentence"].iloc[0]
    assert t["sentence"].iloc[1].startswith("Of the 177 people with quality of life scores at "
                                            "entry and at about 4 months")


MAHESWARAN = ("Maheswaran H, Weich S, Powell J, Stewart-Brown S. Evaluating the responsiveness "
              "of the WEMWBS. Health Qual Life Outcomes 2012;10:156.")


def _with_mid(count=53, source="preset", reference=MAHESWARAN, rci_status="ok", n=177,
              message=""):
    t = _shares(n=n, status=rci_status, message=message).assign(
        mid=3.0, mid_source=source, mid_reference=reference)
    mid = t.iloc[[0]].assign(category="mid_improved", count=count, share=count / n,
                             ci_lower=0.24, ci_upper=0.37, status="ok", message="")
    return pd.concat([t, mid], ignore_index=True)


def test_meaningful_change_follows_reliable_change_with_its_source():
    s = rci_sentence(_with_mid(), "belonging", "T1", label="Wellbeing (WEMWBS)",
                     wave_phrase="at about 4 months")
    assert s.endswith("fewer than 10 people reliably deteriorated; 30% (95% CI 24% to 37%) "
                      "improved by at least the minimal important difference (3 points; "
                      "Maheswaran et al. 2012).")
    s = rci_sentence(_with_mid(source="config", reference="set in the study config "
                               "(scales.belonging.mid)"), "belonging", "T1", label="Belonging",
                     wave_phrase="at about 4 months")
    assert s.endswith("(3 points, set by the study).")
    s = rci_sentence(_with_mid(source="", reference=""), "belonging", "T1", label="Belonging",
                     wave_phrase="at about 4 months")
    assert s.endswith("minimal important difference (3 points).")


def test_meaningful_change_without_reliable_change():
    # a single-item scale with no test-retest reliability: no RCI, the MID share still given
    s = rci_sentence(_with_mid(rci_status="not_estimable", message="no reliability for 'qol'."),
                     "belonging", "T1", label="Quality of life (EQ VAS)",
                     wave_phrase="at about 4 months")
    assert s == ("Reliable change in quality of life (EQ VAS) at about 4 months could not be "
                 "assessed (no reliability for 'qol'). Of the 177 people with quality of life "
                 "(EQ VAS) scores at entry and at about 4 months, 30% (95% CI 24% to 37%) "
                 "improved by at least the minimal important difference (3 points; "
                 "Maheswaran et al. 2012).")


def test_a_hidden_meaningful_change_count_is_not_a_percentage():
    # 170 of 177 improved by the MID: 7 did not, so the public table prints a range
    t = _with_mid(count=170)
    s = rci_sentence(t, "belonging", "T1", label="Belonging", wave_phrase="at about 4 months",
                     public=public_rci_shares(t.assign(flag=""), 10))
    assert "a number of people not shown (to protect a small group) improved by at least" in s
    assert "96%" not in s
    t = sentences_table(_con(1.0, -1.0, 3.0).assign(construct="belonging"), t,
                        {"belonging": "Belonging"}, {"belonging": (1, 7)},
                        {"T0": "Entry", "T1": "About 4 months"})
    rci = t["sentence"].iloc[1]
    assert "a number of people not shown (to protect a small group) improved" in rci


def test_meaningful_change_only_prints_n_as_the_public_table():
    # the MID-only branch: 177 with both scores beside 178 who entered prints "169-177"
    t = _with_mid(rci_status="not_estimable", message="no reliability for 'qol'.")
    public = public_rci_shares(t.assign(flag=""), 10, {"T0": 178.0, "T1": 180.0})
    s = rci_sentence(t, "belonging", "T1", label="Quality of life (EQ VAS)",
                     wave_phrase="at about 4 months", public=public)
    assert "Of the 169-177 people with quality of life (EQ VAS) scores" in s
    # with a range n a percentage would give n back (30% of 169-177 pins 176-177): the count
    assert "Of the 177 " not in s and "53 people improved" in s and "30%" not in s
    t = sentences_table(_con(1.0, -1.0, 3.0).assign(construct="belonging"), t,
                        {"belonging": "Belonging"}, {"belonging": (1, 7)},
                        {"T0": "Entry", "T1": "About 4 months"}, group_sizes={"T0": 178.0})
    assert "Of the 169-177 people with belonging scores" in t["sentence"].iloc[1]


def test_sentence_decimals_follow_the_score_kind():
    """A sum (UCLA-3) prints 1 decimal, an index (EQ-5D) 3, as the findings do; small values
    keep two significant digits."""
    c = _con(-1.36, -2.04, -1.12)
    assert "by 1.4 points, 95% CI 1.1 to 2.0" in change_sentence(
        c, "qol", "Loneliness", scale_range=(3, 9), score="sum")
    assert "by 1.36 points" in change_sentence(c, "qol", "Loneliness", scale_range=(3, 9))
    assert "by 0.052 points, 95% CI 0.021 to 0.083" in change_sentence(
        _con(0.0523, 0.0211, 0.0834), "qol", scale_range=(-0.285, 1), score="index")


def _bands_public():
    from pipeline.change.bands import band_shares, public_band_shares
    from pipeline.instruments.model import Band
    ucla = (Band("not lonely", 3, 5), Band("lonely", 6, 9))
    ons = (Band("low", 0, 4), Band("medium", 5, 6), Band("high", 7, 8), Band("very high", 9, 10))
    long = pd.DataFrame({
        "pid": [f"p{i}" for i in range(50)] * 3, "wave": ["T0"] * 50 + ["T1"] * 50 + ["T2"] * 50,
        "lon": [7.0] * 32 + [4.0] * 18 + [7.0] * 25 + [4.0] * 25 + [7.0] * 5 + [np.nan] * 45,
        "ons": [2.0] * 20 + [6.0] * 10 + [8.0] * 10 + [10.0] * 10 + [8.0] * 50 + [np.nan] * 50})
    shares = band_shares(long, {"lon": ucla, "ons": ons}, ["T0", "T1", "T2"], min_cell=10)
    return public_band_shares(shares, 10, {"T0": 50, "T1": 50, "T2": 5})


WAVES3 = {"T0": "at entry", "T1": "at about 4 months", "T2": "at 6-9 months"}


def test_bands_sentence_gives_the_share_above_a_cut_off_at_each_wave():
    s = bands_sentence(_bands_public(), "lon", label="Loneliness (UCLA-3)",
                       wave_phrases=WAVES3)
    assert s == ("Loneliness (UCLA-3): at entry 64% scored as lonely (6 or more); at about 4 "
                 "months 50%; at 6-9 months too few people answered to say.")


def test_bands_sentence_names_every_band_of_a_battery_item():
    s = bands_sentence(_bands_public(), "ons", label="Life satisfaction (ONS)",
                       wave_phrases=WAVES3)
    assert s == ("Life satisfaction (ONS): at entry: low (4 or less) 40%, medium (5\u20136) "
                 "20%, high (7\u20138) 20%, very high (9 or more) 20%; at about 4 months: low "
                 "0%, medium 0%, high 100%, very high 0%; at 6-9 months too few people "
                 "answered to say.")


def test_bands_sentence_never_gives_a_hidden_band_as_a_percentage():
    pub = _bands_public()
    i = pub.index[(pub["construct"] == "lon") & (pub["wave"] == "T1")
                  & (pub["band"] == "lonely")][0]
    pub.loc[i, ["count", "share"]] = ["<10", "[c]"]
    j = pub.index[(pub["construct"] == "lon") & (pub["wave"] == "T0")
                  & (pub["band"] == "lonely")][0]
    pub.loc[j, ["count", "share"]] = ["27-35", "[c]"]
    s = bands_sentence(pub, "lon", label="Loneliness", wave_phrases=WAVES3)
    assert "64%" not in s and "50%" not in s
    assert "at entry a share not shown (to protect a small group) scored as lonely" in s
    assert "at about 4 months fewer than 10 people" in s


def test_sentences_table_adds_a_bands_row_only_for_banded_scales():
    pub = _bands_public()
    c = pd.concat([_con(-0.4, -0.7, -0.1).assign(construct=k) for k in ("lon", "qol")])
    t = sentences_table(c, pd.DataFrame(columns=SHARE_COLUMNS),
                        {"lon": "Loneliness", "qol": "Quality of life"},
                        {"lon": (3, 9), "qol": (0, 100)},
                        {"T0": "Entry", "T1": "About 4 months"}, bands=pub)
    rows = t[t["kind"] == "bands"]
    assert list(rows["construct"]) == ["lon"]
    assert rows["sentence"].iloc[0].startswith("Loneliness: at entry 64% scored as lonely")
