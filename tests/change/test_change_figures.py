"""Tests for pipeline.change.figures: the trajectory figure of one construct."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from pipeline.change.figures import answered_per_wave, plot_trajectory
from pipeline.errors import DataError

LABEL = "Quality of life"


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
    assert {p.suffix for p in paths} == {".png", ".svg"}
    assert all(p.stat().st_size > 0 for p in paths)
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
    from pipeline.change.trajectory import fit_trajectory

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


def test_n_per_wave_a_few_short_of_the_number_who_answered(tmp_path, monkeypatch):
    """601 with a score beside 605 entrants and 195 beside 199 who answered at T1 would give
    back the 4 without a score: the labels print the ranges the "<10" allows."""
    texts = []
    real_text = plt.Axes.text
    monkeypatch.setattr(plt.Axes, "text", lambda self, x, y, s, *a, **k:
                        texts.append(s) or real_text(self, x, y, s, *a, **k))
    plot_trajectory(_means(), "qol", tmp_path / "traj.png", label=LABEL,
                    group_sizes={"T0": 605, "T1": 199, "T2": 8})
    assert "n = 596-604" in texts and "n = 190-198" in texts and "n < 10" in texts
    assert "n = 601" not in (tmp_path / "traj.svg").read_text()
    texts.clear()
    plot_trajectory(_means(), "qol", tmp_path / "traj2.png", label=LABEL,
                    group_sizes={"T0": 601, "T1": 230})
    assert "n = 601" in texts and "n = 195" in texts  # nothing a few short: exact


def test_answered_per_wave():
    wide = pd.DataFrame({"responded_T0": [True] * 12, "responded_T1": [True] * 3 + [False] * 9})
    assert answered_per_wave(wide, ["T0", "T1", "T2"]) == {"T0": 12.0, "T1": 3.0}


def test_figures_of_one_study_never_print_counts_a_few_apart():
    """Found in the demo_controlled report: one construct's figure printed "n = 730" at entry,
    another's "n = 739" (each alone was apart from the 750 entrants), giving back the 9 with
    one score and not the other. Printed together, no two counts of a wave differ by 1-9."""
    import pandas as pd

    from pipeline.change.figures import joint_count_texts
    from pipeline.disclosure import is_small

    def means(k, n0, n1):
        return pd.DataFrame({"construct": k, "wave": ["T0", "T1"], "method": "fiml",
                             "n": [n0, n1]})

    texts = joint_count_texts({"a": (means("a", 730, 270), ("fiml",)),
                               "b": (means("b", 739, 240), ("fiml",))}, 10,
                              {"T0": 750.0, "T1": 300.0})
    exact = {(k, w): v for k, d in texts.items() for w, v in d.items() if isinstance(v, int)}
    for w in ("T0", "T1"):
        vals = [v for (k, ww), v in exact.items() if ww == w]
        assert all(not (0 < abs(x - y) < 10) for x in vals for y in vals), texts
    assert texts["a"]["T0"] != 730 or texts["b"]["T0"] != 739
    assert not is_small(240, 10) and texts["b"]["T1"] == 240  # far from the others: exact


@pytest.mark.parametrize("unit,step", [(1.0, 0.1), (0.1, 0.01)])
def test_completer_means_are_drawn_rounded_so_their_n_cannot_be_read_back(tmp_path, monkeypatch,
                                                                         unit, step):
    """The number who answered at every wave is not published; a completer mean drawn exactly
    (295/58 = 5.0862...) would name it. Drawn to the nearest unit / min_cell, it does not."""
    drawn = []
    real_plot = plt.Axes.plot

    def spy(self, x, y, *a, **k):
        if str(k.get("label", "")).startswith("Observed mean"):
            drawn.append((np.asarray(y, dtype=float), k["label"]))
        return real_plot(self, x, y, *a, **k)

    monkeypatch.setattr(plt.Axes, "plot", spy)
    m = _means().astype({"est": float})
    comp = m["method"] == "observed_completers"
    m.loc[comp, "est"] = [295 / 58, 247 / 58, 5.5]
    plot_trajectory(m, "qol", tmp_path / "t", label=LABEL, score_unit=unit)
    (y, label), = drawn
    np.testing.assert_allclose(y / step, np.round(y / step), atol=1e-9)
    np.testing.assert_allclose(y, np.round(np.array([295 / 58, 247 / 58, 5.5]) / step) * step)
    assert f"nearest {step:g}" in label
