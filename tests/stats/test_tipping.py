"""Tests for pipeline.stats.tipping: delta adjustment and tipping-point analysis (Carpenter &
Kenward 2013; van Buuren 2018 §3.9.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.missing_data.sentences import tipping_sentence
from pipeline.stats.mice import mice
from pipeline.stats.tipping import (
    TIPPING_COLUMNS,
    delta_adjust,
    not_estimable_table,
    not_imputed_reason,
    tipping_delta,
    tipping_point,
)


@pytest.fixture(scope="module")
def study():
    """Baseline and follow-up QoL with MAR dropout; true mean change +6 points."""
    rng = np.random.default_rng(42)
    n = 400
    y0 = rng.normal(60, 15, n).round()
    y1 = (y0 + 6 + rng.normal(0, 10, n)).round()
    y2 = (y1 + rng.normal(0, 8, n)).round()
    r1 = rng.uniform(size=n) < 1 / (1 + np.exp(-(y0 - 60) / 15))
    r2 = r1 & (rng.uniform(size=n) < 0.6)
    return pd.DataFrame({"y_T0": y0, "y_T1": np.where(r1, y1, np.nan),
                         "y_T2": np.where(r2, y2, np.nan)})


@pytest.fixture(scope="module")
def imputed(study):
    return mice(study, list(study.columns), m=10, iterations=5, seed=3)


def mean_change(d: pd.DataFrame) -> tuple[float, float, float]:
    """Mean within-person change T0 -> T1, its variance, complete-data df n - 1."""
    diff = (d["y_T1"] - d["y_T0"]).to_numpy()
    return diff.mean(), diff.var(ddof=1) / diff.size, diff.size - 1


def test_delta_adjust_shifts_only_missing(imputed, study):
    mask = imputed.missing_mask["y_T1"]
    out = delta_adjust(imputed.imputations, imputed.missing_mask, "y_T1", -7.5)
    for before, after in zip(imputed.imputations, out, strict=True):
        diff = after["y_T1"] - before["y_T1"]
        assert (diff[mask] == -7.5).all() and (diff[~mask] == 0).all()
        pd.testing.assert_series_equal(after["y_T2"], before["y_T2"])
    assert imputed.imputations[0]["y_T1"][mask].equals(
        delta_adjust(imputed.imputations, mask, "y_T1", 0.0)[0]["y_T1"][mask])
    clipped = delta_adjust(imputed.imputations, mask.to_numpy(), "y_T1", 500, bounds=(0, 100))
    assert clipped[0].loc[mask, "y_T1"].eq(100).all()


def test_post_mode_is_linear_in_delta(imputed, study):
    table = tipping_point(study, mean_change, [-10, -5, 5], column="y_T1", result=imputed)
    assert list(table["delta"]) == [-10, -5, 0, 5]  # 0 added
    share = imputed.missing_mask["y_T1"].mean()
    base = table.loc[table["delta"] == 0, "estimate"].iloc[0]
    np.testing.assert_allclose(table["estimate"], base + table["delta"] * share, rtol=1e-12)
    assert (table["status"] == "ok").all() and (table["method"] == "mi").all()


def test_tipping_point_found_at_first_change(imputed, study):
    table = tipping_point(study, mean_change, np.arange(-20, 0.5, 0.5), column="y_T1",
                          result=imputed)
    base = table.loc[table["delta"] == 0].iloc[0]
    assert base["conclusion"] == "positive"
    tips = tipping_delta(table)
    assert tips["positive"] is None  # a clear increase only tips when leavers scored lower
    tip = tips["negative"]
    assert tip is not None and tip < 0
    at = table.loc[table["delta"] == tip].iloc[0]
    before = table.loc[table["delta"] == tip + 0.5].iloc[0]
    assert at["ci_lower"] <= 0 < before["ci_lower"]
    assert not table.loc[table["delta"] > tip, "changes_conclusion"].any()
    assert at["conclusion"] == "uncertain"
    sentence = tipping_sentence(table, "quality-of-life", "points")
    assert "The finding of a clear increase would no longer hold" in sentence
    assert f"{abs(tip):.0f} points lower" in sentence or f"{abs(tip):.1f} points lower" in sentence


@pytest.fixture(scope="module")
def wide_se(imputed, study):
    """An estimator whose pooled estimate at delta = 0 is +0.4 with a wide CI (SE about 2.7)."""
    base = tipping_point(study, mean_change, [], column="y_T1", result=imputed)["estimate"].iloc[0]

    def est(d):
        e, _, df = mean_change(d)
        return e - base + 0.4, 2.7**2, df

    return est


def test_sign_flip_inside_uncertain_band_is_not_a_tipping_point(imputed, study, wide_se):
    table = tipping_point(study, wide_se, [-2, -1, 1, 2], column="y_T1", result=imputed)
    assert set(table["conclusion"]) == {"uncertain"}
    est = table.set_index("delta")["estimate"]
    assert est[0] > 0 and est[-2] < 0  # the estimate changes sign ...
    assert not table["changes_conclusion"].any()  # ... but the conclusion does not
    assert tipping_delta(table) == {"negative": None, "positive": None}
    s = tipping_sentence(table, "quality of life")
    assert "no clear change in quality of life" in s and "did not change within the range" in s
    assert "\u22122 to +2 points" in s


def test_tipping_points_found_in_both_directions(imputed, study, wide_se):
    table = tipping_point(study, wide_se, np.arange(-60, 61, 1.0), column="y_T1", result=imputed)
    assert set(table["conclusion"]) == {"negative", "uncertain", "positive"}
    tips = tipping_delta(table)
    lo_tip, hi_tip = tips["negative"], tips["positive"]
    assert lo_tip is not None and lo_tip < 0 and hi_tip is not None and hi_tip > 0
    t = table.set_index("delta")
    assert t.loc[lo_tip, "ci_upper"] < 0 <= t.loc[lo_tip + 1, "ci_upper"]
    assert t.loc[hi_tip, "ci_lower"] > 0 >= t.loc[hi_tip - 1, "ci_lower"]
    inside = table[(table["delta"] > lo_tip) & (table["delta"] < hi_tip)]
    assert (inside["conclusion"] == "uncertain").all() and not inside["changes_conclusion"].any()
    s = tipping_sentence(table, "quality of life")
    assert (f"clear decrease only if people who left had scores on average {-lo_tip:.0f} points "
            f"lower than similar people who stayed, and a clear increase only if they had scores "
            f"{hi_tip:.0f} points higher.") in s


def test_failed_estimator_reported_not_filled(study, imputed):
    def broken(d):
        raise DataError("model 'change': not identified")

    table = tipping_point(study, broken, [-5], column="y_T1", result=imputed)
    assert (table["status"] == "failed").all() and table["estimate"].isna().all()
    assert "not identified" in table["message"].iloc[0]
    assert tipping_delta(table) == {"negative": None, "positive": None}
    assert not table["changes_conclusion"].any()
    assert "could not be done" in tipping_sentence(table, "quality-of-life")


def test_chain_mode_propagates_shift(study):
    kw = {"column": "y_T1", "columns": list(study.columns), "m": 4, "iterations": 4, "seed": 9}
    post = tipping_point(study, mean_change, [-10], **kw)
    chain = tipping_point(study, mean_change, [-10], mode="chain", **kw)
    # delta = 0: identical runs.
    np.testing.assert_allclose(post["estimate"].iloc[1], chain["estimate"].iloc[1], rtol=1e-14)

    def t2_mean(d):
        return d["y_T2"].mean(), d["y_T2"].var() / len(d), len(d) - 1

    p2 = tipping_point(study, t2_mean, [-10], **kw)
    c2 = tipping_point(study, t2_mean, [-10], mode="chain", **kw)
    assert p2["estimate"].iloc[0] == pytest.approx(p2["estimate"].iloc[1])  # post: T2 unaffected
    assert c2["estimate"].iloc[0] < c2["estimate"].iloc[1] - 2  # chain: shift reaches T2


def test_outcome_without_missing_raises(study):
    with pytest.raises(DataError, match="no missing values"):
        tipping_point(study, mean_change, [1], column="y_T0", columns=list(study.columns), seed=1)


def test_constant_outcome_gives_one_not_estimable_row(study):
    """A constant outcome is excluded by MICE: its missing values stay missing, so shifting
    "imputed" values would change nothing and every delta would report the same estimate."""
    const = study.assign(y_T1=np.where(study["y_T1"].notna(), 50.0, np.nan))
    res = mice(const, list(const.columns), m=3, iterations=2, seed=1)
    reason = not_imputed_reason(const, res, "y_T1")
    assert reason.startswith("y_T1 could not be imputed: it does not vary")
    assert "every observed value is 50" in reason
    calls = []

    def spy(d):
        calls.append(1)
        return mean_change(d)

    table = tipping_point(const, spy, [-5, 5], column="y_T1", result=res)
    assert not calls, "the estimator must not run on data sets that still have missing values"
    assert len(table) == 1 and table["status"].iloc[0] == "not_estimable"
    assert table["message"].iloc[0] == reason
    assert table[["delta", "estimate", "se", "ci_lower", "ci_upper"]].isna().all(axis=None)
    assert tipping_delta(table) == {"negative": None, "positive": None}
    sentence = tipping_sentence(table, "Quality of life")
    assert sentence == f"The sensitivity analysis for Quality of life could not be done: {reason}."
    chain = tipping_point(const, spy, [-5], column="y_T1", columns=list(const.columns), m=2,
                          iterations=1, seed=1, mode="chain")
    assert chain["status"].tolist() == ["not_estimable"] and not calls


def test_all_missing_outcome_gives_one_not_estimable_row(study):
    empty = study.assign(y_T1=np.nan)
    table = tipping_point(empty, mean_change, [-5], column="y_T1",
                          columns=list(empty.columns), m=2, iterations=1, seed=1)
    assert table["status"].tolist() == ["not_estimable"]
    assert "missing for all 400 participants" in table["message"].iloc[0]


def test_not_imputed_reason(study, imputed):
    assert not_imputed_reason(study, imputed, "y_T1") is None
    assert not_imputed_reason(study, imputed, "y_T0") is None  # nothing missing
    partial = mice(study, ["y_T0", "y_T2"], m=2, iterations=1, seed=1)
    assert "not in the imputation model" in not_imputed_reason(study, partial, "y_T1")
    t = not_estimable_table("why", mode="chain")
    assert list(t.columns) == TIPPING_COLUMNS
    assert t[["mode", "method", "status", "message"]].iloc[0].tolist() == [
        "chain", "mi", "not_estimable", "why"]


def _crafted(conclusions: dict[float, str]) -> pd.DataFrame:
    rows = [{"delta": d, "conclusion": c, "status": "ok", "changes_conclusion": c != conclusions[0]}
            for d, c in conclusions.items()]
    return pd.DataFrame(rows)


def test_tipping_in_sd_by_hand_and_fragile_flag():
    """Tipping deltas -8 and +1 points with a baseline SD of 20: -0.4 and +0.05 SD; the
    nearest (0.05 SD) is within 0.2 SD, so the conclusion is fragile (issue 11)."""
    from pipeline.stats.tipping import tipping_in_sd
    t = _crafted({-9.0: "negative", -8.0: "negative", -1.0: "uncertain", 0.0: "uncertain",
                  1.0: "positive", 2.0: "positive"})
    out, s = tipping_in_sd(t, 20.0)
    assert s["tipping_delta_negative"] == -8.0 and s["tipping_delta_positive"] == 1.0
    assert s["tipping_delta_negative_sd"] == pytest.approx(-0.4)
    assert s["tipping_delta_positive_sd"] == pytest.approx(0.05)
    assert s["tipping_nearest_sd"] == pytest.approx(0.05) and s["fragile"] is True
    assert out["delta_sd"].tolist() == pytest.approx([-0.45, -0.4, -0.05, 0, 0.05, 0.1])
    assert out["tipping_point"].tolist() == ["", "negative", "", "", "positive", ""]
    assert out["fragile"].all() and (out["baseline_sd"] == 20.0).all()
    # tips only at 5 points = 0.25 SD: not fragile; exactly 0.2 SD: fragile (<=)
    robust = _crafted({-5.0: "negative", 0.0: "uncertain", 5.0: "positive"})
    assert tipping_in_sd(robust, 20.0)[1]["fragile"] is False
    assert tipping_in_sd(robust, 25.0)[1]["fragile"] is True
    # nothing tips in the grid: no SD values, not fragile
    flat = _crafted({-5.0: "uncertain", 0.0: "uncertain", 5.0: "uncertain"})
    s = tipping_in_sd(flat, 20.0)[1]
    assert s["tipping_nearest_sd"] is None and s["fragile"] is False
    # no usable SD: no SD units, fragility not claimed
    s = tipping_in_sd(t, float("nan"))[1]
    assert s["baseline_sd"] is None and s["tipping_delta_positive_sd"] is None
    assert s["fragile"] is False


def test_tipping_sentence_says_sd_and_fragile():
    from pipeline.stats.tipping import tipping_in_sd
    t = _crafted({-8.0: "negative", 0.0: "uncertain", 1.0: "positive"})
    t["status"] = "ok"
    out, s = tipping_in_sd(t, 20.0)
    text = tipping_sentence(out, "Quality of life", "points", s)
    assert "0.05 standard deviations" in text and "fragile" in text
    out, s = tipping_in_sd(_crafted({-8.0: "negative", 0.0: "uncertain", 8.0: "positive"}), 20.0)
    text = tipping_sentence(out, "Quality of life", "points", s)
    assert "0.40 standard deviations" in text and "fragile" not in text


def test_post_mode_equals_pooling_delta_adjusted_copies(imputed, study):
    """The post-mode table is built one completed data set at a time (issue 15), and must be
    exactly what pooling delta_adjust's copies gives, clipping included; the imputations
    themselves are left unchanged."""
    from pipeline.stats.tipping import _pool_one

    before = [d.copy() for d in imputed.imputations]
    for bounds in (None, (20.0, 80.0)):
        table = tipping_point(study, mean_change, [-6.0, -2.5, 3.0], column="y_T1",
                              result=imputed, bounds=bounds)
        for row in table.itertuples():
            sets = delta_adjust(imputed.imputations, imputed.missing_mask, "y_T1", row.delta,
                                bounds)
            want = _pool_one(sets, mean_change, 0.95)
            assert (row.estimate, row.se, row.df, row.ci_lower) == (
                want["estimate"], want["se"], want["df"], want["ci_lower"])
    for a, b in zip(before, imputed.imputations, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_post_mode_estimator_refusal_fails_only_that_delta(imputed, study):
    from pipeline.errors import DataError as DE

    def picky(d):
        if d["y_T1"].max() > 150:
            raise DE("implausible scores")
        return mean_change(d)

    table = tipping_point(study, picky, [-5.0, 90.0], column="y_T1", result=imputed)
    bad = table.set_index("delta")
    assert bad.loc[90.0, "status"] == "failed" and "implausible" in bad.loc[90.0, "message"]
    assert (bad.loc[[-5.0, 0.0], "status"] == "ok").all()


@pytest.mark.parametrize("bounds", [None, (20.0, 90.0)])
def test_an_estimator_with_a_shifted_method_gives_the_loops_numbers_to_the_last_bit(imputed,
                                                                                   study, bounds):
    """The change estimator's vectorised ``shifted`` (every delta of a data set at once) and
    one call per data set and delta give identical tables (issue 14)."""
    from pipeline.missing_data.primary import change_estimator

    fast = change_estimator("y_T1", "y_T0")
    assert callable(fast.shifted)

    def slow(d):  # the same estimator without its shifted method: the loop
        return fast(d)

    kw = dict(column="y_T1", result=imputed, bounds=bounds)
    grid = np.arange(-30, 31, 2.5)
    a = tipping_point(study, fast, grid, **kw)
    b = tipping_point(study, slow, grid, **kw)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (a["status"] == "ok").all() and a["estimate"].nunique() == grid.size


def test_a_refusal_of_the_shifted_estimator_fails_every_delta_as_the_loop_does(imputed, study):
    from pipeline.missing_data.primary import change_estimator

    fast = change_estimator("y_T2", "y_T0")  # y_T2 not imputed here: 'missing' rows refused
    sets = [d.assign(y_T2=d["y_T2"].where(d.index % 7 > 0)) for d in imputed.imputations]
    from pipeline.stats import tipping

    mask = np.zeros(len(study), dtype=bool)
    mask[:5] = True
    grid = np.array([-1.0, 0.0, 1.0])
    a = tipping._shifted_rows(sets, mask, "y_T2", grid, fast, None, 0.95)
    b = tipping._shifted_rows(sets, mask, "y_T2", grid, lambda d: fast(d), None, 0.95)
    assert a == b
    assert {r["status"] for r in a} == {"failed"} and "rows have a missing" in a[0]["message"]
