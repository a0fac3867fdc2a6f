"""Tests for pipeline.change.figures: trajectory figure and the evidence-led change sentences."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.change.figures import change_sentence, plot_trajectory


def _con(est, lo, hi, status="ok", flag="", wave="T1", months=4.0):
    return pd.DataFrame({"construct": ["qol"], "wave": [wave], "months": [months], "est": [est],
                         "ci_lower_adj": [lo], "ci_upper_adj": [hi], "status": [status],
                         "flag": [flag]})


LABEL = "Quality of life"
PHRASES = {"T1": "at about 4 months"}


def test_sentence_higher_when_adjusted_ci_excludes_zero():
    s = change_sentence(_con(6.1, 2.3, 9.9), "qol", LABEL, PHRASES)
    assert s == ("Quality of life was higher at about 4 months than at entry "
                 "(by 6.1 points, 95% CI 2.3 to 9.9).")


def test_sentence_lower_reports_magnitude():
    s = change_sentence(_con(-0.42, -0.70, -0.14), "qol", "Loneliness", PHRASES,
                        scale_range=(3, 9))
    assert s == ("Loneliness was lower at about 4 months than at entry "
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
    assert s == "Change in quality of life from entry to 4 months could not be estimated from these data."
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
    from pipeline.stats.mixed import fit_trajectory

    rng = np.random.default_rng(5)
    rows = []
    for w, k, mo in (("T0", 60, 0.0), ("T1", 30, 4.0), ("T2", 1, 7.0)):
        rows.append(pd.DataFrame({"pid": [f"p{i}" for i in range(k)], "wave": w, "months": mo,
                                  "qol": 60 + rng.normal(0, 10, k)}))
    res = fit_trajectory(pd.concat(rows, ignore_index=True), "qol", ["T0", "T1", "T2"])
    s = change_sentence(res.contrasts, "qol", LABEL,
                        {"T1": "at about 4 months", "T2": "at 6-9 months"})
    assert s.endswith("Too few people answered at 6-9 months to describe change in quality of life.")
    assert "between entry and about 4 months" in s or "at about 4 months than" in s


def test_sentence_keeps_acronyms_and_joins_waves():
    c = pd.concat([_con(6.1, 2.3, 9.9), _con(2.0, -1.0, 5.0, wave="T2", months=7.0)])
    s = change_sentence(c, "qol", "EQ VAS", PHRASES)
    assert s.startswith("EQ VAS was higher") and "no clear change in EQ VAS between entry and 7 months" in s


def test_sentence_never_causal():
    for args in [(6.1, 2.3, 9.9), (-6.1, -9.9, -2.3), (1.0, -1.0, 3.0)]:
        s = change_sentence(_con(*args), "qol", LABEL).lower()
        assert not any(w in s for w in ("programme", "improved", "caused", "because of", "effect"))


def test_sentence_unknown_construct_raises():
    with pytest.raises(DataError, match="nope"):
        change_sentence(_con(1, 0.5, 2), "nope")


def _means():
    rows = []
    for method, est, n in (("lmm_reml", [57, 62, 67], [601, 195, 8]),
                           ("observed_completers", [67, 72, 74], [60, 60, 60])):
        for w, mo, e, k in zip(["T0", "T1", "T2"], [0, 4, 7], est, n):
            rows.append({"construct": "qol", "method": method, "wave": w, "months": float(mo),
                         "est": e, "ci_lower": e - 2, "ci_upper": e + 2, "n": k,
                         "flag": "small_n" if k < 10 else "", "status": "ok", "message": ""})
    return pd.DataFrame(rows)


def test_plot_trajectory_writes_png_and_svg_with_suppressed_counts(tmp_path, monkeypatch):
    texts = []
    real_text = plt.Axes.text

    def spy(self, x, y, s, *a, **k):
        texts.append(s)
        return real_text(self, x, y, s, *a, **k)

    monkeypatch.setattr(plt.Axes, "text", spy)
    paths = plot_trajectory(_means(), "qol", tmp_path / "traj.png", label=LABEL)
    assert {p.suffix for p in paths} == {".png", ".svg"} and all(p.stat().st_size > 0 for p in paths)
    assert "n = 601" in texts and "n < 10" in texts and "n = 8" not in texts
    assert "n = 8" not in (tmp_path / "traj.svg").read_text()


def test_plot_trajectory_without_model_means(tmp_path):
    m = _means()
    m.loc[m["method"] == "lmm_reml", ["status", "est"]] = ["failed", np.nan]
    m.loc[m["method"] == "lmm_reml", "message"] = "did not converge"
    paths = plot_trajectory(m, "qol", tmp_path / "fail", label=LABEL)
    assert all(p.exists() for p in paths)
    with pytest.raises(DataError, match="nope"):
        plot_trajectory(m, "nope", tmp_path / "x")


def test_plot_trajectory_does_not_draw_means_of_fewer_than_min_cell(tmp_path, monkeypatch):
    xs = []
    real_scatter = plt.Axes.scatter
    monkeypatch.setattr(plt.Axes, "scatter",
                        lambda self, x, y, *a, **k: (xs.extend(list(x)),
                                                     real_scatter(self, x, y, *a, **k))[1])
    plot_trajectory(_means(), "qol", tmp_path / "t", label=LABEL)  # T2 has n = 8, status ok
    assert 7.0 not in xs and {0.0, 4.0} <= set(xs)
    assert "not shown" in (tmp_path / "t.svg").read_text()


def test_plot_trajectory_with_no_follow_up_data(tmp_path, monkeypatch):
    """Audit case c10c: every follow-up row unmatched -> a means table whose follow-up waves
    have no months, no estimates and status not_estimable. Must draw, not raise."""
    from pipeline.stats.mixed import fit_trajectory

    long = pd.DataFrame({"pid": [f"p{i}" for i in range(40)], "wave": "T0", "months": 0.0,
                         "qol": np.linspace(40, 80, 40)})
    means = fit_trajectory(long, "qol", ["T0", "T1", "T2"]).means
    assert means.query("wave != 'T0'")["months"].isna().all()
    texts = []
    real_text = plt.Axes.text
    monkeypatch.setattr(plt.Axes, "text",
                        lambda self, x, y, s, *a, **k: (texts.append(s),
                                                        real_text(self, x, y, s, *a, **k))[1])
    paths = plot_trajectory(means, "qol", tmp_path / "none", label=LABEL)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    box = [t for t in texts if t.startswith("Model-based means not available")]
    assert box and "Not estimable:" in box[0] and "observed at 1 wave" in box[0].replace("\n", " ")
    assert texts.count("n = 0") == 2 and "n = 40" in texts
    # with configured months the follow-up waves are placed on the months axis
    paths = plot_trajectory(means, "qol", tmp_path / "none2", label=LABEL,
                            wave_months={"T1": 4, "T2": 7})
    assert all(p.exists() for p in paths)
    # NaN everywhere (no months, no estimates, no n) still draws
    nan = means.assign(months=np.nan, est=np.nan, n=np.nan, status="not_estimable")
    assert all(p.exists() for p in plot_trajectory(nan, "qol", tmp_path / "nan", label=LABEL))


@pytest.mark.parametrize("better, weights, expect_y, expect_legend", [
    (True, "proportional", "(scale 0\u2013100; higher is better)", "sample's own mix"),
    (False, "equal", "(scale 0\u2013100; lower is better)", "weighted equally"),
])
def test_plot_trajectory_states_range_direction_and_weighting(tmp_path, monkeypatch, better,
                                                              weights, expect_y, expect_legend):
    ylabels, labels = [], []
    real_ylabel, real_plot = plt.Axes.set_ylabel, plt.Axes.plot

    def spy_ylabel(self, s, *a, **k):
        ylabels.append(s)
        return real_ylabel(self, s, *a, **k)

    def spy_plot(self, *a, **k):
        labels.append(k.get("label", ""))
        return real_plot(self, *a, **k)

    monkeypatch.setattr(plt.Axes, "set_ylabel", spy_ylabel)
    monkeypatch.setattr(plt.Axes, "plot", spy_plot)
    plot_trajectory(_means(), "qol", tmp_path / "t", label=LABEL, scale_range=(0, 100),
                    higher_is_better=better, covariate_weights=weights)
    assert any(expect_y in y for y in ylabels)
    assert any(expect_legend in lab for lab in labels)


def test_plot_trajectory_direction_without_range(tmp_path, monkeypatch):
    ylabels = []
    real_ylabel = plt.Axes.set_ylabel
    monkeypatch.setattr(plt.Axes, "set_ylabel",
                        lambda self, s, *a, **k: (ylabels.append(s), real_ylabel(self, s))[1])
    plot_trajectory(_means(), "qol", tmp_path / "t", label=LABEL)
    assert ylabels == ["Mean score\n(higher is better)"]


def test_sentence_verb_agrees_with_the_construct():
    from pipeline.change.figures import _verb

    assert _verb("Group memberships") == "were"
    assert _verb("Loneliness (UCLA-3)") == "was"
    assert _verb("Quality of life (EQ VAS)") == "was"
    assert _verb("Social support") == "was"
