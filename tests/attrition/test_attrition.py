"""Tests for pipeline/attrition.py.

References: tests/fixtures/attrition/attrition_reference.R (R glm binomial + confint.default;
brglm2 type = "AS_mean" for Firth; t.test / chisq.test(correct = FALSE) / fisher.test) on the
committed data made by tests/fixtures/attrition/make_data.R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.attrition.analysis import (
    NOTABLE_RULE,
    attrition_summary,
    firth_logit,
    missingness_table,
    participant_flow,
    pattern_summary,
    retained_vs_lost,
    retention_model,
    separation_direction,
)
from pipeline.errors import DataError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "attrition"
WAVES = ["T0", "T1", "T2"]
LABELS = ["Pathway entry", "About 4 months", "6-9 months"]
PRED = ["age", "belonging_T0", "qol_T0", "gender"]


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return pd.read_csv(FIX / "wide_attrition.csv")


def _tiny() -> pd.DataFrame:
    return pd.DataFrame({
        "pid": list("abcdef"), "age": [20, 30, 40, 50, 60, 70],
        "responded_T0": True,
        "responded_T1": [True, True, False, True, False, False],
        "responded_T2": [True, False, False, False, True, False],
        "belonging_T0": [1.0, 2, np.nan, 4, 5, 6], "belonging_T1": [1.0, np.nan, np.nan, 2, np.nan, np.nan],
        "belonging_T2": [3.0, np.nan, np.nan, np.nan, 4, np.nan],
    })


# ----------------------------------------------------------------------------- flow
def test_participant_flow_hand_counts():
    qc = pd.DataFrame({
        "wave": ["T0", "T1", "T1", "T2", "T2"],
        "issue": ["duplicate id: kept row 3 (more complete)", "id not seen at baseline (T0)", "missing id",
                  "value out of range", "Duplicate submission"],
        "action": ["row_dropped", "row_dropped", "row_dropped", "set_missing", "row_dropped"],
    })
    f = participant_flow(_tiny(), qc, WAVES, LABELS).set_index("wave")
    assert f["retained"].tolist() == [6, 3, 2]
    assert f.loc["T1", "pct_baseline"] == pytest.approx(50.0)
    assert f.loc["T1", "lost_since_previous"] == 3 and f.loc["T2", "lost_since_previous"] == 2
    assert f.loc["T2", "rejoined"] == 1  # person e skipped T1, answered T2
    assert pd.isna(f.loc["T0", "lost_since_previous"])
    assert f.loc["T0", "excluded_duplicate"] == 1 and f.loc["T2", "excluded_duplicate"] == 1
    assert f.loc["T1", "excluded_not_in_baseline"] == 1 and f.loc["T1", "excluded_missing_id"] == 1
    assert f["excluded_other"].sum() == 0  # the set_missing row is not an exclusion
    assert f.loc["T1", "label"] == "About 4 months"


def test_participant_flow_responded_from_long():
    long = pd.DataFrame({"pid": ["a", "b", "x", "a"], "wave": ["T1", "T1", "T1", "T0"]})
    f = participant_flow(_tiny(), None, WAVES, long=long).set_index("wave")
    assert f.loc["T1", "responded"] == 3 and f.loc["T1", "retained"] == 3


def test_missing_responded_column_names_wave():
    with pytest.raises(DataError, match="responded_T2"):
        participant_flow(_tiny().drop(columns="responded_T2"), None, WAVES)


# ----------------------------------------------------------------------------- missingness
def test_missingness_table_wide_and_long_agree():
    w = _tiny()
    m = missingness_table(w, ["belonging", "age"], WAVES).set_index(["variable", "wave"])
    assert m.loc[("belonging", "T0"), ["n_responders", "n_missing"]].tolist() == [6, 1]
    assert m.loc[("belonging", "T1"), ["n_responders", "n_missing", "n_missing_baseline"]].tolist() == [3, 1, 4]
    assert m.loc[("belonging", "T2"), "pct_missing_baseline"] == pytest.approx(100 * 4 / 6)
    assert ("age", "T1") not in m.index and m.loc[("age", "T0"), "n_missing"] == 0
    rows = []
    for wv in WAVES:
        r = w[w[f"responded_{wv}"]]
        rows.append(pd.DataFrame({"pid": r["pid"], "wave": wv, "belonging": r[f"belonging_{wv}"]}))
    long = pd.concat(rows)
    ml = missingness_table(long, ["belonging"], WAVES).set_index(["variable", "wave"])
    pd.testing.assert_frame_equal(ml, m.loc[["belonging"]])


def test_missingness_unknown_variable():
    with pytest.raises(DataError, match="'lonelines'"):
        missingness_table(_tiny(), ["lonelines"], WAVES)


def test_pattern_summary_counts_and_zero_rows(wide):
    p = pattern_summary(_tiny(), WAVES).set_index("pattern")
    assert p["n"].to_dict() == {"T0 only": 2, "T0+T1": 2, "T0+T2": 1, "T0+T1+T2": 1}
    pw = pattern_summary(wide, WAVES)
    assert pw["n"].sum() == len(wide) and pw["pct"].sum() == pytest.approx(100)


# ----------------------------------------------------------------------------- retained vs lost
def test_retained_vs_lost_matches_r(wide):
    ref = pd.read_csv(FIX / "retained_vs_lost_ref.csv").fillna({"level": ""})
    for wave in ["T1", "T2"]:
        got = retained_vs_lost(wide, wave, PRED, ["gender"]).set_index(["variable", "level"])
        r = ref[ref["wave"] == wave].set_index(["variable", "level"])
        got = got.loc[r.index]
        np.testing.assert_allclose(got["smd"], r["smd"], rtol=1e-7)
        np.testing.assert_allclose(got["pvalue"], r["pvalue"], rtol=1e-6)
        assert got["test"].tolist() == r["test"].tolist()
    assert "fisher" in ref["test"].tolist()  # the T2 gender table exercises Fisher's test


def test_retained_vs_lost_descriptives_by_hand():
    t = retained_vs_lost(_tiny(), "T1", ["age"]).iloc[0]
    assert t["n_retained"] == 3 and t["mean_retained"] == pytest.approx(100 / 3)
    assert t["mean_lost"] == pytest.approx(170 / 3)
    assert t["smd"] == pytest.approx((100 / 3 - 170 / 3) / np.sqrt((np.var([20, 30, 50], ddof=1) + np.var([40, 60, 70], ddof=1)) / 2))


# ----------------------------------------------------------------------------- retention model
@pytest.mark.parametrize("wave", ["T1", "T2"])
def test_retention_model_matches_r_glm(wide, wave):
    table, status = retention_model(wide, wave, PRED, ["gender"])
    ref = pd.read_csv(FIX / f"glm_{wave}.csv")
    assert status["status"] == "ok" and status["method"] == "logit"
    assert status["n"] == ref["n"].iloc[0]
    for col in ["est", "se", "pvalue", "odds_ratio", "ci_lower", "ci_upper"]:
        np.testing.assert_allclose(table[col], ref[col], rtol=1e-6, err_msg=col)


def test_firth_fallback_matches_brglm2():
    sep = pd.read_csv(FIX / "separation.csv")
    sep["responded_T1"] = sep["retained"].astype(bool)
    table, status = retention_model(sep, "T1", ["x", "g"], ["g"])
    ref = pd.read_csv(FIX / "firth_separation.csv")
    assert status["status"] == "ok" and status["method"] == "firth"
    assert "g[B]" in status["message"] and "separation" in status["message"]
    for col in ["est", "se", "odds_ratio", "ci_lower", "ci_upper"]:
        np.testing.assert_allclose(table[col], ref[col], rtol=1e-5, err_msg=col)
    _, st2 = retention_model(sep, "T1", ["x", "g"], ["g"], firth_on_separation=False)
    assert st2["status"] == "not_estimable" and "separation" in st2["message"]


def test_separation_detection():
    x = np.column_stack([np.ones(6), [1.0, 2, 3, 4, 5, 6]])
    assert separation_direction(x, np.array([0, 0, 0, 1, 1, 1.0])) is not None  # complete
    assert separation_direction(x, np.array([0, 0, 1, 0, 1, 1.0])) is None  # overlap
    b, cov, ok = firth_logit(x, np.array([0, 0, 0, 1, 1, 1.0]))
    assert ok and np.all(np.isfinite(b)) and np.all(np.diag(cov) > 0)


def test_nobody_retained_not_estimable(wide):
    w = wide.assign(responded_T2=False)
    table, status = retention_model(w, "T2", PRED, ["gender"])
    assert table.empty and status["status"] == "not_estimable"
    assert "nobody" in status["message"] and "T2" in status["message"]


def _one_retained(wide: pd.DataFrame) -> pd.DataFrame:
    """Audit case c04a: exactly one person (the first) answered at T2."""
    w = wide.assign(responded_T2=False)
    w.loc[w.index[0], "responded_T2"] = True
    return w


def test_fewer_than_min_events_retained_not_estimable(wide):
    w = _one_retained(wide)
    table, status = retention_model(w, "T2", PRED, ["gender"])
    assert table.empty and status["status"] == "not_estimable"
    assert status["method"] == "logit"  # no Firth fallback either
    assert "fewer than 10" in status["message"] and "were retained" in status["message"]
    assert "Peduzzi" in status["message"] and "odds ratio" in status["message"]
    assert status["n_retained"] == 1
    # the rule counts the rarer group: 9 lost (everyone else retained) is also too few
    w = wide.assign(responded_T2=True)
    w.loc[w.index[:9], "responded_T2"] = False
    table, status = retention_model(w, "T2", ["age"])
    assert table.empty and status["status"] == "not_estimable" and "were lost" in status["message"]
    # exactly min_events in the rarer group is allowed (with the events-per-variable warning)
    w.loc[w.index[9], "responded_T2"] = False
    table, status = retention_model(w, "T2", PRED, ["gender"])
    assert status["status"] == "ok" and len(table)
    assert "fewer than 10 of the rarer outcome per predictor" in status["message"]
    # the threshold is a keyword
    _, status = retention_model(w, "T2", ["age"], min_events=11)
    assert status["status"] == "not_estimable"
    from pipeline.attrition.analysis import MIN_EVENTS, MIN_EVENTS_RULE
    assert MIN_EVENTS == 10 and "Peduzzi" in MIN_EVENTS_RULE


def test_constant_and_all_missing_predictors_dropped_with_note(wide):
    w = wide.assign(site=1.0, empty=np.nan)
    table, status = retention_model(w, "T1", ["age", "site", "empty"])
    assert status["status"] == "ok" and list(table["rhs"]) == ["Intercept", "age"]
    assert "'empty' is missing for everyone" in status["message"]
    assert "'site' did not vary" in status["message"]


def test_collinear_predictors_not_estimable(wide):
    w = wide.assign(age2=wide["age"] * 2)
    _, status = retention_model(w, "T1", ["age", "age2"])
    assert status["status"] == "not_estimable" and "linear combinations" in status["message"]


# ----------------------------------------------------------------------------- summary
def test_summary_wording_follows_evidence(wide):
    flow = participant_flow(wide, None, WAVES, LABELS)
    comp = {w: retained_vs_lost(wide, w, PRED, ["gender"]) for w in ["T1", "T2"]}
    text = attrition_summary(flow, comp, {"belonging_T0": "community belonging"})
    assert text.startswith("Of 630 people who joined, 174 (28%) answered at about 4 months and "
                           "59 (9%) at 6-9 months.")
    assert "were older on average" in text and "higher community belonging" in text
    assert "qol_T0" not in text  # SMD 0.11 / 0.07: not notable
    # no notable difference -> says similar
    flat = {"T1": comp["T1"].assign(smd=0.05)}
    assert "were similar at entry" in attrition_summary(flow, flat)
    assert "0.2" in NOTABLE_RULE


def test_summary_suppresses_small_counts():
    flow = pd.DataFrame({"wave": ["T0", "T1"], "label": ["Entry", "Later"],
                         "retained": [40, 7], "pct_baseline": [100.0, 17.5]})
    text = attrition_summary(flow)
    assert "<10 at" in text or "<10 answered" in text
    assert "17" not in text and " 7 " not in text


def test_fisher_rx2_matches_scipy_2x2():
    from scipy import stats

    from pipeline.attrition.analysis import fisher_exact_rx2

    for tab in ([[3, 9], [7, 2]], [[0, 5], [6, 1]], [[10, 12], [11, 13]]):
        assert fisher_exact_rx2(np.array(tab)) == pytest.approx(stats.fisher_exact(tab).pvalue, rel=1e-9)


def test_suppress_flow_hides_small_and_recoverable_counts():
    from pipeline.attrition.analysis import suppress_flow

    flow = pd.DataFrame({"wave": ["T0", "T1", "T2"], "label": LABELS, "responded": [630, 178, 63],
                         "retained": [630, 178, 63], "pct_baseline": [100, 28.3, 10.0],
                         "lost_since_previous": [pd.NA, 452, 120], "rejoined": [pd.NA, 0, 5],
                         "excluded_duplicate": [12, 3, 0]})
    out = suppress_flow(flow)
    assert out.loc[2, "rejoined"] == "<10" and out.loc[1, "excluded_duplicate"] == "<10"
    assert out.loc[2, "lost_since_previous"] == "[c]"  # else 178 - 120 + x = 63 gives x
    assert out.loc[2, "retained"] == 63 and out.loc[1, "rejoined"] == 0


def test_suppress_patterns_blocks_recovery_via_wave_totals(wide):
    from pipeline.attrition.analysis import suppress_patterns

    p = pattern_summary(wide, WAVES)  # T0+T2 = 8 (small); T1 and T2 totals are in the flow
    out = suppress_patterns(p).set_index("pattern")
    assert out.loc["T0+T2", "n"] == "<10"
    for members in (["T0+T1", "T0+T1+T2"], ["T0+T2", "T0+T1+T2"]):  # retained at T1, at T2
        assert sum(isinstance(out.loc[m, "n"], str) for m in members) != 1


def test_figures_written_with_suppressed_labels(wide, tmp_path):
    from pipeline.attrition.figures import plot_flow, plot_missingness

    flow = participant_flow(wide, None, WAVES, LABELS)
    paths = plot_flow(flow, tmp_path / "flow.png")
    svg = paths[1].read_text()
    assert all(p.exists() for p in paths) and "&lt;10" in svg and "630 joined" in svg
    paths = plot_missingness(pattern_summary(wide, WAVES), tmp_path / "patterns")
    svg = paths[1].read_text()
    assert "&lt;10" in svg and "8 (1%)" not in svg


def test_attrition_settings_defaults_and_errors():
    from pipeline.attrition.analysis import attrition_settings
    from pipeline.errors import ConfigError

    s = attrition_settings({"ipw": {"truncate": [0.05, 0.95]}})
    assert s["ipw"] == {"stabilised": True, "truncate": [0.05, 0.95]} and s["notable_smd"] == 0.2
    with pytest.raises(ConfigError, match="predictor"):
        attrition_settings({"predictor": ["age"]})
    with pytest.raises(ConfigError, match="truncate"):
        attrition_settings({"ipw": {"truncate": [0.99, 0.01]}})


def test_suppress_missingness_blocks_recovery():
    from pipeline.attrition.analysis import suppress_missingness

    m = missingness_table(pd.read_csv(FIX / "wide_attrition.csv"), ["belonging"], WAVES)
    out = suppress_missingness(m).set_index("wave")
    assert out.loc["T1", "n_missing"] == "<10"           # 6 missing among 174 responders
    assert out.loc["T1", "n_missing_baseline"] == "[c]"  # else 630 - 174 + x = 462 gives x
    assert out.loc["T1", "n_responders"] == 174 and out.loc["T2", "n_missing"] == 0


def test_suppress_comparison(wide):
    from pipeline.attrition.analysis import suppress_comparison

    t = retained_vs_lost(wide, "T2", PRED, ["gender"])
    out = suppress_comparison(t).set_index(["variable", "level"])
    nb = out.loc[("gender", "Non-binary / other")]
    assert nb["n_retained"] == "<10" and nb["pct_retained"] == "[c]"
    g = out.loc["gender"]
    assert sum(isinstance(v, str) for v in g["n_retained"]) >= 2  # level counts add to 59
    age = out.loc[("age", "")]
    assert age["missing_retained"] == 0
    assert age["mean_retained"] == round(t.loc[0, "mean_retained"], 2)  # rounded, not hidden
    tiny = retained_vs_lost(_tiny(), "T1", ["age"])
    assert suppress_comparison(tiny).loc[0, "mean_retained"] == "[c]"  # mean of 3 people hidden


def test_nobody_retained_comparison_and_summary(wide):
    w = wide.assign(responded_T2=False)
    t = retained_vs_lost(w, "T2", ["age"])
    assert np.isnan(t.loc[0, "smd"]) and np.isnan(t.loc[0, "pvalue"])
    flow = participant_flow(w, None, WAVES, LABELS)
    text = attrition_summary(flow, {"T2": t})
    assert "0 (0%) at 6-9 months" in text and "could not be compared" in text


def test_one_retained_summary_and_public_comparison(wide):
    """Audit case c04a: nothing about the one person retained may reach funders."""
    from pipeline.attrition.analysis import suppress_comparison

    w = _one_retained(wide)
    t = retained_vs_lost(w, "T2", PRED, ["gender"])
    flow = participant_flow(w, None, WAVES, LABELS)
    comp = {"T1": retained_vs_lost(w, "T1", PRED, ["gender"]), "T2": t}
    text = attrition_summary(flow, comp, {"belonging_T0": "community belonging"})
    assert ("Too few people answered at 6-9 months to compare them with those who did not."
            in text)
    assert "gender" not in text.split("6-9 months.")[-1] and "SMD 1" not in text
    assert "Compared with those who did not, those who answered at about 4 months" in text
    person = w.iloc[0]
    out = suppress_comparison(t)
    for c in ("mean_retained", "sd_retained", "pct_retained", "smd", "pvalue"):
        assert (out[c] == "[c]").all(), c
    age = out[out["variable"] == "age"].iloc[0]
    assert age["mean_retained"] != person["age"] and age["n_retained"] == "<10"
    # the lost group (629 people) is still described
    assert np.isfinite(float(age["mean_lost"]))


def test_suppress_comparison_hides_smd_and_test_of_hidden_counts(wide):
    from pipeline.attrition.analysis import suppress_comparison

    t = retained_vs_lost(wide, "T2", PRED, ["gender"])
    out = suppress_comparison(t).set_index(["variable", "level"])
    g = out.loc["gender"]
    # the Non-binary retained count is hidden: its SMD (with the shown lost share it gives the
    # hidden share back) and the gender test p-value (the exact p pins the counts) are hidden
    assert g.loc["Non-binary / other", "smd"] == "[c]"
    assert (g["pvalue"] == "[c]").all()
    # numeric variables with both groups large keep their SMD and p-value, rounded so that the
    # lost group's n (hidden: its missing count is small) cannot be worked back from them
    age = t.set_index("variable").loc["age"]
    assert out.loc[("age", ""), "n_lost"] == "[c]"
    assert out.loc[("age", ""), "smd"] == round(age["smd"], 2)
    assert out.loc[("age", ""), "pvalue"] == float(f"{age['pvalue']:.2g}")
    assert out.loc[("age", ""), "mean_lost"] == round(age["mean_lost"], 2)


def test_summary_numbers_too_small_without_smd():
    flow = pd.DataFrame({"wave": ["T0", "T1"], "label": ["Entry", "Later"],
                         "retained": [400, 100], "pct_baseline": [100.0, 25.0]})
    comp = pd.DataFrame({"variable": ["gender", "qol_T0"], "level": ["Other", ""],
                         "n_retained": [4, 6], "n_lost": [2, 290], "pct_retained": [4.0, np.nan],
                         "pct_lost": [0.7, np.nan], "mean_retained": [np.nan, 71.0],
                         "mean_lost": [np.nan, 60.0], "smd": [0.21, 0.55],
                         "missing_retained": [0, 94], "missing_lost": [0, 10]})
    text = attrition_summary(flow, {"T1": comp}, {"qol_T0": "quality of life"})
    assert "more often gender 'Other' (numbers too small to show)" in text
    assert "higher quality of life at entry (numbers too small to show)" in text
    assert "0.21" not in text and "71" not in text and "0.55" not in text


def test_pattern_suppression_cannot_be_undone_with_the_flow_totals():
    """Regression: with baseline 630 and 178 retained at T1 published, showing 'T0 only' = 447
    would reveal T0+T2 = 630 - 447 - 178 = 5 (patterns excluding T1 add up to 630 - 178)."""
    from pipeline.attrition.analysis import suppress_patterns

    patterns = pd.DataFrame({"pattern": ["T0 only", "T0+T1", "T0+T2", "T0+T1+T2"],
                             "waves_answered": [1, 2, 2, 3], "n": [447, 120, 5, 58],
                             "pct": [70.95, 19.05, 0.79, 9.21]})
    out = suppress_patterns(patterns, 10)
    shown = dict(zip(out["pattern"], out["n"]))
    assert shown["T0+T2"] == "<10"
    assert shown["T0 only"] in ("[c]", "<10"), "T0 only would reveal the hidden T0+T2 count"
