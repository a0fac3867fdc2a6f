"""Tests for pipeline.sensitivity: delta adjustment and tipping-point analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.impute import mice
from pipeline.sensitivity import delta_adjust, tipping_delta, tipping_point, tipping_sentence


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
    tip = tipping_delta(table)
    assert tip is not None and tip < 0
    at = table.loc[table["delta"] == tip].iloc[0]
    before = table.loc[table["delta"] == tip + 0.5].iloc[0]
    assert at["ci_lower"] <= 0 < before["ci_lower"]
    assert not table.loc[table["delta"] > tip, "changes_conclusion"].any()
    sentence = tipping_sentence(table, "quality-of-life", "points")
    assert f"{abs(tip):.0f} points lower" in sentence or f"{abs(tip):.1f} points lower" in sentence


def test_sentence_matches_house_style():
    table = pd.DataFrame({
        "delta": [-14.0, -12.0, -10.0, 0.0],
        "conclusion": ["uncertain (CI includes 0), estimate positive"] * 2 + ["positive"] * 2,
        "changes_conclusion": [True, True, False, False],
        "status": ["ok"] * 4,
    })
    assert tipping_delta(table) == -12.0
    assert tipping_sentence(table, "quality-of-life", "points") == (
        "The conclusion would change only if people who left the study had quality-of-life "
        "scores on average 12 points lower than similar people who stayed.")
    none = table.assign(changes_conclusion=False)
    assert tipping_delta(none) is None
    assert "did not change for any shift" in tipping_sentence(none, "quality-of-life")
    assert "14 points lower" in tipping_sentence(none, "quality-of-life")


def test_sentence_when_uncertain_becomes_clear():
    table = pd.DataFrame({
        "delta": [0.0, 2.5, 5.0],
        "conclusion": ["uncertain (CI includes 0), estimate positive"] * 2 + ["positive"],
        "changes_conclusion": [False, False, True], "status": ["ok"] * 3,
    })
    assert tipping_sentence(table, "belonging", "points").startswith(
        "The result would become clearly positive only if people who left the study had "
        "belonging scores on average 5 points higher")


def test_failed_estimator_reported_not_filled(study, imputed):
    def broken(d):
        raise DataError("model 'change': not identified")

    table = tipping_point(study, broken, [-5], column="y_T1", result=imputed)
    assert (table["status"] == "failed").all() and table["estimate"].isna().all()
    assert "not identified" in table["message"].iloc[0]
    assert tipping_delta(table) is None
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


def test_tipping_plot_renders(tmp_path, imputed, study):
    from pipeline.figures.imputation import plot_tipping_point

    table = tipping_point(study, mean_change, np.arange(-15, 1, 1.0), column="y_T1",
                          result=imputed)
    paths = plot_tipping_point(table, tmp_path / "tip", "quality-of-life")
    assert paths[0].suffix == ".png" and paths[0].stat().st_size > 1000
