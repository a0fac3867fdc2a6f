"""Change findings on crafted tables: the primary-method rule, stand-ins, agreement, fragility,
CI labels, disclosure of counts. (Wording rules: pipeline.wording; R reference: none, these
are rules, each case written out by hand below.)"""

from __future__ import annotations

import math

import pandas as pd
from findings_helpers import change_row, change_table, tipping_table

from pipeline.findings.analysis import build_findings
from pipeline.findings.change import change_findings
from pipeline.findings.public import public_findings
from pipeline.findings.table import COLUMNS


def _build(settings, change, tipping=None, **more):
    tables = {"change": change, "tipping": tipping, **more}
    return build_findings(tables, {}, settings).set_index("finding_id")


def test_primary_row_comes_from_the_configured_method(settings):
    assert settings.primary == "fiml"
    t = _build(settings, change_table(
        change_row(method="mi", est=2.0, lo=-0.5, hi=4.5, role="primary"),  # mislabelled
        change_row(method="fiml", est=3.0, lo=1.0, hi=5.0, role="sensitivity"),
        change_row(method="lmm", est=3.5, lo=0.8, hi=6.2)))
    p = t.loc["change.qol.T1"]
    assert p["role"] == "primary" and p["method"] == "fiml"
    assert p["evidence"] == "likely"  # single group, MAR: never "clear" in this design
    assert set(p["caveats"].split(";")) >= {"single_group", "no_comparison", "mar_assumption"}
    assert "likely increased" in p["sentence"]
    assert "points on the 0\u2013100 EQ VAS" in p["sentence"]
    assert "95% CI 1.0 to 5.0" in p["sentence"]
    assert "missing at random" in p["sentence"]
    mi = t.loc["change.qol.T1@mi"]
    assert mi["role"] == "sensitivity" and mi["agrees_with_primary"] == "clarity_differs"
    assert ("At about 4 months, with multiple imputation the interval includes zero (no clear "
            "evidence)") in mi["sentence"]
    assert t.loc["change.qol.T1@lmm", "agrees_with_primary"] == "yes"
    assert t.loc["change.qol.T1@lmm", "sentence"] == ""
    assert list(build_findings({"change": change_table(change_row())}, {}, settings).columns) \
        == COLUMNS


def test_no_silent_substitution(settings):
    t = _build(settings, change_table(
        change_row(method="fiml", est=math.nan, lo=math.nan, hi=math.nan,
                   status="not_estimable", message="too few people at T1"),
        change_row(method="mi", est=2.0, lo=0.4, hi=3.6)))
    p = t.loc["change.qol.T1"]
    assert p["method"] == "mi" and "stands_in:mi" in p["caveats"]
    assert "too few people at T1" in p["message"] and "mi stands in" in p["message"]
    assert ("Full-information maximum likelihood (FIML), the primary method, could not give "
            "this estimate (too few people at T1), so multiple imputation stands in.") \
        in p["sentence"]
    assert t.loc["change.qol.T1@fiml", "status"] == "not_estimable"


def test_nothing_estimable_says_so(settings):
    t = _build(settings, change_table(
        change_row(method="fiml", est=math.nan, status="failed", message="did not converge")))
    p = t.loc["change.qol.T1"]
    assert p["evidence"] == "not_estimable" and p["status"] == "not_estimable"
    assert "could not be estimated" in p["sentence"]


def test_no_clear_change(settings):
    t = _build(settings, change_table(change_row(est=2.56, lo=-0.18, hi=5.30)))
    p = t.loc["change.qol.T1"]
    assert p["evidence"] == "no_clear"
    assert p["sentence"].startswith(
        "There was no clear change in quality of life (EQ VAS) between pathway entry and "
        "about 4 months (change 2.6 points on the 0\u2013100 EQ VAS, 95% CI \u22120.2 to 5.3")


def test_opposite_directions_across_methods_lower_the_grade(settings):
    t = _build(settings, change_table(change_row(method="fiml", est=0.8, lo=0.1, hi=1.5),
                                      change_row(method="lmm", est=-0.8, lo=-1.5, hi=-0.1)))
    assert t.loc["change.qol.T1@lmm", "agrees_with_primary"] == "direction_differs"
    p = t.loc["change.qol.T1"]
    assert "method_disagrees" in p["caveats"] and p["evidence"] == "may"
    assert "may have increased" in p["sentence"]
    assert "Another method points the other way" in p["sentence"]
    assert "points the other way" in t.loc["change.qol.T1@lmm", "sentence"]


def test_fragile_to_mnar_within_02_sd(settings):
    # qol is the tipping outcome at T1; tips at delta = -1 point; baseline SD 20 -> 0.05 SD
    tip = tipping_table({-2.0: "uncertain", -1.0: "uncertain", 0.0: "positive", 5.0: "positive"})
    tip.loc[tip["delta"] == -1.0, "conclusion"] = "uncertain"
    t = _build(settings, change_table(change_row(est=3.0, lo=0.5, hi=5.5)), tipping=tip)
    p = t.loc["change.qol.T1"]
    assert "fragile_to_mnar" in p["caveats"] and p["evidence"] == "may"
    assert "may have increased" in p["sentence"]
    assert ("This conclusion is fragile: it would no longer hold if people who left had "
            "scores on average only 1 point (0.05 SD) lower than similar people who stayed (a "
            "departure from missing at random within 0.2 SD).") in p["sentence"]
    r = t.loc["change.qol.T1@tipping_point"]
    assert r["estimate"] == -1.0 and math.isclose(r["effect_size"], 0.05)
    assert r["agrees_with_primary"] == "clarity_differs"
    assert r["question"].startswith("How different would people who left have to be")


def test_robust_tipping_point_is_not_fragile(settings):
    tip = tipping_table({-10.0: "uncertain", -8.0: "positive", 0.0: "positive", 5.0: "positive"})
    t = _build(settings, change_table(change_row(est=3.0, lo=0.5, hi=5.5)), tipping=tip)
    assert "fragile_to_mnar" not in t.loc["change.qol.T1", "caveats"]
    assert "(0.50 SD) from zero, beyond 0.2 SD" in t.loc["change.qol.T1@tipping_point",
                                                         "sentence"]


def test_holm_adjusted_interval_is_labelled(settings):
    rows = [change_row(construct="loneliness", wave=w, est=-0.38, lo=-0.6, hi=-0.16,
                       ci_adjusted=True, ci_lower_adj=-0.65, ci_upper_adj=-0.11,
                       p_adjust="holm", scale_min=3, scale_max=9) for w in ("T1", "T2")]
    t = _build(settings, change_table(*rows))
    p = t.loc["change.loneliness.T1"]
    assert p["ci_label"] == "95% CI, Holm-adjusted over 2 contrasts"
    assert p["ci_lower"] == -0.65 and "holm_adjusted" in p["caveats"]
    assert ("likely decreased between pathway entry and about 4 months (change \u22120.38 "
            "points on the 3\u20139 UCLA-3 sum, 95% CI \u22120.65 to \u22120.11, Holm-adjusted "
            "over 2 contrasts") in p["sentence"]


def test_one_effect_size_per_contrast(settings):
    t = _build(settings, change_table(change_row(est=3.0, lo=1.0, hi=5.0)))
    p = t.loc["change.qol.T1"]
    assert p["effect_size"] == 3.0 / 20 and p["effect_size_kind"].startswith("d ")
    assert "standardised change d = 0.15" in p["sentence"] and "d_z" not in p["sentence"]


def test_small_counts_never_printed(settings):
    t = _build(settings, change_table(change_row(est=3.0, lo=1.0, hi=5.0, n_observed=7)))
    p = t.loc["change.qol.T1"]
    assert "small_n" in p["caveats"] and p["evidence"] == "may"
    assert "<10 answered" in p["sentence"] and " 7 " not in p["sentence"]
    pub = public_findings(t.reset_index(), 10).set_index("finding_id")
    assert pub.loc["change.qol.T1", "n_observed"] == "<10"


def test_missing_columns_give_clear_status(settings):
    rows = change_findings(pd.DataFrame({"construct": ["qol"], "wave": ["T1"]}), settings)
    assert {r["status"] for r in rows} == {"not_estimable"}
    assert "lacks columns" in rows[0]["message"] and "'method'" in rows[0]["message"]
    t = build_findings({}, {}, settings)
    assert (t.loc[t["kind"] == "change", "status"] == "not_estimable").all()


def test_missing_data_primary_tops_up_the_tipping_cell(settings):
    md = pd.DataFrame([dict(method="complete_case", term="mean change qol T0->T1", estimate=2.0,
                            se=1.3, ci_lower=-0.6, ci_upper=4.6, pvalue=0.13, n=172,
                            primary=False, status="ok", message="")])
    t = _build(settings, change_table(change_row(est=3.0, lo=1.0, hi=5.0)), md_primary=md)
    assert t.loc["change.qol.T1@complete_case", "agrees_with_primary"] == "clarity_differs"


def test_the_change_wings_interval_label_is_kept(settings):
    label = "95% CI, Bonferroni-adjusted over 2 contrasts"
    rows = [change_row(wave=w, est=3.0, lo=1.0, hi=5.0, ci_adjusted=True, ci_lower_adj=0.6,
                       ci_upper_adj=5.4, p_adjust="holm", ci_label="95% CI",
                       ci_label_adj=label) for w in ("T1", "T2")]
    t = _build(settings, change_table(*rows))
    assert t.loc["change.qol.T1", "ci_label"] == label
    assert ", 95% CI 0.6 to 5.4, Bonferroni-adjusted over 2 contrasts;" in t.loc[
        "change.qol.T1", "sentence"]


def test_the_change_tables_stand_in_is_honoured(settings):
    t = _build(settings, change_table(
        change_row(method="fiml", est=math.nan, status="not_estimable", stands_in="ipw",
                   message="FIML did not converge"),
        change_row(method="mi", est=2.0, lo=0.4, hi=3.6),
        change_row(method="ipw", est=2.2, lo=0.3, hi=4.1)))
    assert t.loc["change.qol.T1", "method"] == "ipw"
    assert "stands_in:ipw" in t.loc["change.qol.T1", "caveats"]


def test_every_construct_and_follow_up_has_a_primary_row(settings):
    t = _build(settings, change_table(change_row()))
    prim = t[(t["kind"] == "change") & (t["role"] == "primary")]
    assert len(prim) == len(settings.scales) * (len(settings.waves) - 1)
    assert prim.loc["change.loneliness.T2", "status"] == "not_estimable"
    assert "the change analysis gave no estimate" in prim.loc["change.loneliness.T2", "sentence"]
    assert ".csv" not in prim.loc["change.loneliness.T2", "sentence"]
    assert prim.loc["change.loneliness.T2", "units"] == "points on the 3\u20139 UCLA-3 sum"


def test_fragile_no_clear_change_says_what_it_would_become(settings):
    # the demo's case (issue 11): no clear change that becomes a clear increase at +1 point
    tip = tipping_table({-8.0: "negative", -7.0: "uncertain", 0.0: "uncertain", 1.0: "positive"})
    t = _build(settings, change_table(change_row(est=2.4, lo=-0.5, hi=5.3)), tipping=tip)
    p = t.loc["change.qol.T1"]
    assert p["evidence"] == "no_clear" and "fragile_to_mnar" in p["caveats"]
    assert ("This conclusion is fragile: it would become a clear increase if people who left "
            "had scores on average only 1 point (0.05 SD) higher than similar people who stayed"
            ) in p["sentence"]


def test_public_statistics_are_rounded_as_the_report_prints_them(settings):
    """Found by an attack on a 40-person study: a complete-case mean change of whole EQ VAS
    points printed as -2.230769231 (= -58/26) fits only n = 26 of the "19-27" printed, and
    an effect size to ten digits gives back the baseline SD. The public copy prints what the
    report prints: 1 decimal on the 0-100 scale, effect sizes 2 decimals, p 2 digits."""
    t = _build(settings, change_table(change_row(est=-58 / 26, lo=-8.56615, hi=4.10358)))
    pub = public_findings(t.reset_index(), 10).set_index("finding_id").loc["change.qol.T1"]
    assert pub["estimate"] == -2.2 and pub["ci_lower"] == -8.6 and pub["ci_upper"] == 4.1
    assert pub["effect_size"] == round(-58 / 26 / 20, 2)
    p = t.loc["change.qol.T1", "pvalue"]
    assert pub["pvalue"] == float(f"{p:.2g}")
    # a bound near zero gets its own decimals, the estimate never (a reviewer's attack: the
    # estimate to 3 decimals, -2.231, fits only 58/26)
    t = _build(settings, change_table(change_row(est=-58 / 26, lo=-4.46, hi=-0.0041)))
    pub = public_findings(t.reset_index(), 10).set_index("finding_id").loc["change.qol.T1"]
    assert pub["estimate"] == -2.2 and pub["ci_lower"] == -4.5 and pub["ci_upper"] == -0.004


def test_no_se_or_p_beside_a_range_n():
    """Third attack, on a 25-person study: (upper - lower) / (2 SE) = 2.5326 is the t quantile
    of 13 df only, so n = 14 of "6-14" (one of the 15 who answered had no score)."""
    from pipeline.findings.public import _rounded
    rows = pd.DataFrame({"estimate": [-0.5, -0.5], "ci_lower": [-1.68, -1.68],
                         "ci_upper": [0.68, 0.68], "se": [0.4661, 0.4661],
                         "pvalue": [0.31, 0.31], "effect_size": [-0.2, -0.2],
                         "scale_min": 3, "scale_max": 9,
                         "n_contributing": ["6-14", "14"], "n_observed": ["6-14", "14"]})
    out = _rounded(rows)
    assert out.loc[0, "se"] == "[c]" and out.loc[0, "pvalue"] == "[c]"
    assert out.loc[0, "estimate"] == -0.5 and out.loc[0, "ci_upper"] == 0.68
    assert out.loc[1, "se"] == 0.466 and out.loc[1, "pvalue"] == 0.31


def test_public_decimals_are_the_reports():
    """A reviewer's find: the public copy rounded a sum score (3-9) to 2 decimals where the
    report prints 1, and a rate ratio's CI to 1 where the report prints 2."""
    from pipeline.findings.public import _rounded
    rows = pd.DataFrame({"kind": ["change", "healthcare"], "construct": ["lon", "gp"],
                         "units": ["points", "rate ratio"], "estimate": [-1.234, 1.1349],
                         "ci_lower": [-1.8, 0.9612], "ci_upper": [-0.66, 1.3341],
                         "se": [0.3, 0.1], "pvalue": [0.01, 0.2], "effect_size": [-0.5, None],
                         "scale_min": [3, None], "scale_max": [9, None],
                         "n_contributing": ["60", "60"], "n_observed": ["60", "60"]})
    out = _rounded(rows, {"lon": "sum"})
    assert out.loc[0, "estimate"] == -1.2 and out.loc[0, "ci_upper"] == -0.7
    assert out.loc[1, "estimate"] == 1.13 and out.loc[1, "ci_lower"] == 0.96


def test_a_sensitivity_interval_is_worded_as_the_how_sure_key(settings):
    """A funder-eyed read: "With a mixed model the result is clear: ... 95% CI 0.00 to 0.57"
    beside a row the key calls "likely". The sentence now names the wave and says on which
    side of zero the interval lies, never "clear"."""
    t = _build(settings, change_table(
        change_row(method="fiml", est=2.0, lo=-0.5, hi=4.5, role="primary"),
        change_row(method="lmm", est=3.5, lo=0.8, hi=6.2)))
    s = t.loc["change.qol.T1@lmm", "sentence"]
    assert s.startswith("At about 4 months, with ") and "the interval leaves out zero: " in s
    assert "clear" not in s.split(":")[0]
