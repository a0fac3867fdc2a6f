"""Tests for pipeline.missing_data.figures: convergence, observed-vs-imputed and tipping plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from missing_data_helpers import conclusions_table as _table

from pipeline.missing_data.imputation import chain_traces, observed_and_imputed
from pipeline.stats.mice import mice
from pipeline.stats.tipping import tipping_point


def test_tipping_plot_renders(tmp_path):
    from pipeline.missing_data.figures import plot_tipping_point

    rng = np.random.default_rng(42)
    n = 200
    y0 = rng.normal(60, 15, n).round()
    y1 = (y0 + 6 + rng.normal(0, 10, n)).round()
    study = pd.DataFrame({"y_T0": y0, "y_T1": np.where(rng.uniform(size=n) < 0.7, y1, np.nan)})
    imputed = mice(study, list(study.columns), m=5, iterations=3, seed=3)

    def mean_change(d):
        diff = (d["y_T1"] - d["y_T0"]).to_numpy()
        return diff.mean(), diff.var(ddof=1) / diff.size, diff.size - 1

    table = tipping_point(study, mean_change, np.arange(-15, 1, 1.0), column="y_T1",
                          result=imputed)
    paths = plot_tipping_point(table, tmp_path / "tip", "quality-of-life")
    assert paths[0].suffix == ".png" and paths[0].stat().st_size > 1000


@pytest.mark.parametrize("conclusions, expected", [
    ({-3.0: "negative", 0.0: "uncertain", 6.0: "positive"}, [-3.0, 6.0]),
    ({-3.0: "uncertain", 0.0: "uncertain", 6.0: "uncertain"}, []),
    ({-3.0: "uncertain", 0.0: "positive", 6.0: "positive"}, [-3.0]),
])
def test_tipping_plot_marks_each_tipping_point(tmp_path, monkeypatch, conclusions, expected):
    import matplotlib.pyplot as plt

    from pipeline.missing_data.figures import plot_tipping_point

    t = _table(conclusions)
    t["estimate"] = t["delta"] / 2
    t["ci_lower"], t["ci_upper"] = t["estimate"] - 2, t["estimate"] + 2
    lines, texts = [], []
    real_vline, real_text = plt.Axes.axvline, plt.Axes.text

    def spy_vline(self, x=0, *a, **k):
        if "tipping point" in k.get("label", ""):
            lines.append(x)
        return real_vline(self, x, *a, **k)

    def spy_text(self, x, y, s, *a, **k):
        texts.append(s)
        return real_text(self, x, y, s, *a, **k)

    monkeypatch.setattr(plt.Axes, "axvline", spy_vline)
    monkeypatch.setattr(plt.Axes, "text", spy_text)
    plot_tipping_point(t, tmp_path / "tip", "quality of life")
    assert lines == expected
    assert any("unchanged for every" in x for x in texts) == (not expected)


def test_figures_render(tmp_path):
    from pipeline.missing_data.figures import plot_chains, plot_observed_vs_imputed

    rng = np.random.default_rng(6)
    df = pd.DataFrame({"g": rng.choice(["a", "b"], 80).astype(object), "x": rng.normal(size=80),
                       "y": rng.normal(size=80)})
    df.loc[:9, "y"] = np.nan
    df.loc[10:14, "g"] = None
    res = mice(df, ["g", "x", "y"], m=3, iterations=4, seed=1)
    for fn, table, name in ((plot_chains, chain_traces(res), "chains"),
                            (plot_observed_vs_imputed, observed_and_imputed(res), "obs_imp")):
        paths = fn(table, tmp_path / name)
        assert [p.suffix for p in paths] == [".png", ".svg"]
        assert all(p.stat().st_size > 1000 for p in paths)


def test_chain_plot_hides_a_variable_imputed_for_few_people(tmp_path, monkeypatch):
    """The figure is published: a variable imputed for 1 person (x) is not traced and its
    panels say why without the count; y (10 people) is drawn."""
    import matplotlib.pyplot as plt

    from pipeline.missing_data.figures import plot_chains

    rng = np.random.default_rng(7)
    df = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    df.loc[3, "x"] = np.nan  # one missing value: no SD of the imputed values
    df.loc[10:19, "y"] = np.nan
    res = mice(df, ["x", "y"], m=3, iterations=3, seed=2)
    texts = []
    real_text = plt.Figure.text

    def spy(self, x, y, s, *a, **k):
        texts.append(s)
        return real_text(self, x, y, s, *a, **k)

    real_ax_text = plt.Axes.text
    monkeypatch.setattr(plt.Figure, "text", spy)
    monkeypatch.setattr(plt.Axes, "text",
                        lambda self, x, y, s, *a, **k: (texts.append(s),
                                                        real_ax_text(self, x, y, s, *a, **k))[1])
    paths = plot_chains(chain_traces(res), tmp_path / "chains")
    assert paths[0].stat().st_size > 1000
    assert texts.count("mean not shown:\nimputed for fewer than 10 people") == 1  # x only
    assert texts.count("SD not shown:\nimputed for fewer than 10 people") == 1
    assert not any("one missing value" in t for t in texts)
    assert "Convergence of the imputation chains" in texts
    assert any(t.startswith("3 chains, imputed values only") for t in texts)  # subtitle


def test_nothing_to_impute_says_so(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from pipeline.missing_data.figures import plot_chains, plot_observed_vs_imputed

    res = mice(pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 1.0, 3.0]}), ["x", "y"], m=2,
               iterations=1, seed=1)
    texts = []
    real = plt.Axes.text
    monkeypatch.setattr(plt.Axes, "text", lambda self, x, y, s, *a, **k: (
        texts.append(s), real(self, x, y, s, *a, **k))[1])
    plot_chains(chain_traces(res), tmp_path / "c")
    plot_observed_vs_imputed(observed_and_imputed(res), tmp_path / "o")
    assert texts == ["No variable needed imputation."] * 2


def test_kde_is_scotts_gaussian_kde():
    from scipy import stats

    from pipeline.missing_data.figures import _kde

    rng = np.random.default_rng(3)
    grid = np.linspace(-4, 4, 200)
    for n in (3, 250, 5000):
        v = rng.normal(size=n)
        np.testing.assert_allclose(_kde(v, grid), stats.gaussian_kde(v)(grid), rtol=1e-12,
                                   atol=1e-15)


def test_observed_vs_imputed_svg_does_not_grow_with_m_and_says_it_subsamples(tmp_path,
                                                                             monkeypatch):
    """Issue 14/15: no strip of dots and rasterised densities, so the SVG stays small however
    many imputations and missing cells there are; a subsample at large n is said."""
    import matplotlib.pyplot as plt

    from pipeline.missing_data import figures

    rng = np.random.default_rng(9)
    df = pd.DataFrame({"x": rng.normal(size=2000), "y": rng.normal(size=2000)})
    df.loc[:1199, "y"] = np.nan
    small = mice(df, ["x", "y"], m=2, iterations=1, seed=1)
    large = mice(df, ["x", "y"], m=20, iterations=1, seed=1)
    texts = []
    real = plt.Figure.text
    monkeypatch.setattr(plt.Figure, "text", lambda self, x, y, s, *a, **k: (
        texts.append(s), real(self, x, y, s, *a, **k))[1])
    svg = [figures.plot_observed_vs_imputed(observed_and_imputed(r), tmp_path / name)[1]
           for r, name in ((small, "s"), (large, "l"))]
    assert svg[1].stat().st_size < 1.3 * svg[0].stat().st_size
    assert svg[1].stat().st_size < 400_000
    assert any("Densities from every value" in t for t in texts)
    texts.clear()
    drawn = []
    monkeypatch.setattr(figures, "save_figure", lambda fig, path, tight=True: drawn.append(fig))
    figures.plot_observed_vs_imputed(observed_and_imputed(large, max_values=500),
                                     tmp_path / "sub")
    assert any("random subsample of at most 500 values per group" in t for t in texts)
    assert drawn[0].axes[0].get_title() == "y\n800 observed, the rest imputed"  # full count


@pytest.mark.parametrize("n_vars", [1, 13])
def test_fixed_margins_keep_every_text_inside_and_apart(tmp_path, monkeypatch, n_vars):
    """The trace and observed-vs-imputed figures are laid out with fixed margins (no
    tight_layout, no tight bounding box: issue 14): every text stays inside the figure, and no
    axis label or tick label overlaps a neighbouring panel or the header."""
    import pipeline.missing_data.figures as figs

    drawn = []
    monkeypatch.setattr(figs, "save_figure", lambda fig, path, tight=True: drawn.append(
        (fig, tight)) or [])
    rng = np.random.default_rng(3)
    names = [f"group_memberships_T{j}" for j in range(n_vars)]
    traces = pd.DataFrame([(v, c, it, rng.normal(50, 20), abs(rng.normal(1.5, 0.1)), 40)
                           for v in names for c in range(5) for it in range(1, 31)],
                          columns=["variable", "chain", "iteration", "mean", "sd", "n_missing"])
    values = {v: pd.DataFrame({"value": np.r_[rng.normal(50, 20, 60), rng.normal(50, 20, 40)],
                               "imputed": np.r_[np.zeros(60, bool), np.ones(40, bool)],
                               "imputation": np.r_[np.zeros(60, int), np.arange(40) % 2]})
              for v in names}
    figs.plot_chains(traces, tmp_path / "c.png")
    figs.plot_observed_vs_imputed(values, tmp_path / "o.png")
    import matplotlib.pyplot as plt

    for fig, tight in drawn:
        assert tight is False
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        whole = fig.get_tightbbox(r)  # inches: everything drawn
        assert whole.x0 >= -0.01 and whole.y0 >= -0.01
        assert whole.x1 <= fig.get_figwidth() + 0.01 and whole.y1 <= fig.get_figheight() + 0.01
        header = [t.get_window_extent(r) for t in fig.texts]
        panels = [ax for ax in fig.axes if ax.axison]
        for ax in panels:
            frame = ax.get_window_extent(r)
            assert not any(frame.overlaps(h) for h in header)
            for other in panels:
                if other is not ax:
                    assert not frame.overlaps(other.get_tightbbox(r)), (ax, other)
        plt.close(fig)


def test_observed_vs_imputed_titles_follow_the_printed_counts_rule(tmp_path, monkeypatch):
    """Panel titles print the observed count as the published outputs do: 59 observed (1 short
    of the 60 in the model) is a range, and the imputed values of that one person are not
    drawn; 50 is printed as it is. The imputed count is not printed (with the observed one
    and the 60 it would give a hidden count back)."""
    import matplotlib.pyplot as plt

    from pipeline.missing_data.figures import plot_observed_vs_imputed
    from pipeline.missing_data.imputation import observed_and_imputed

    rng = np.random.default_rng(7)
    df = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    df.loc[3, "x"] = np.nan
    df.loc[10:19, "y"] = np.nan
    res = mice(df, ["x", "y"], m=3, iterations=3, seed=2)
    titles, texts = [], []
    real_title, real_text = plt.Axes.set_title, plt.Axes.text
    monkeypatch.setattr(plt.Axes, "set_title",
                        lambda self, s, *a, **k: (titles.append(s),
                                                  real_title(self, s, *a, **k))[1])
    monkeypatch.setattr(plt.Axes, "text",
                        lambda self, x, y, s, *a, **k: (texts.append(s),
                                                        real_text(self, x, y, s, *a, **k))[1])
    plot_observed_vs_imputed(observed_and_imputed(res), tmp_path / "ovi")
    assert titles == ["x\n51-59 observed, the rest imputed", "y\n50 observed, the rest imputed"]
    assert texts.count("imputed values not shown:\nfewer than 10 people") == 1


def test_observed_vs_imputed_legend_names_the_imputations_drawn(tmp_path, monkeypatch):
    """The legend never names a number of imputations the run did not make: with m = 30 and
    the first 20 drawn on the figure it says "the first 20 of 30" (``n_imputations``, the run's
    m), without m it says only what is drawn ("values from 20 imputations"), never "20
    imputations pooled". Panel titles take words (``labels``) instead of column names."""
    from pipeline.missing_data import figures

    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x": rng.normal(size=80), "y": rng.normal(size=80)})
    df.loc[:29, "y"] = np.nan
    res = mice(df, ["x", "y"], m=30, iterations=1, seed=4)
    values = observed_and_imputed(res)  # the first 20 of the 30
    assert {t.attrs["n_imputations"] for t in values.values()} == {30}  # the run's m
    assert figures.imputed_legend(values) == "imputed (values from the first 20 of 30 imputations)"
    for t in values.values():
        t.attrs.pop("n_imputations", None)
    assert figures.imputed_legend(values) == "imputed (values from 20 imputations)"
    for t in values.values():
        t.attrs["n_imputations"] = 30
    assert figures.imputed_legend(values) == "imputed (values from the first 20 of 30 imputations)"
    drawn = []
    monkeypatch.setattr(figures, "save_figure", lambda fig, path, tight=True: drawn.append(fig))
    figures.plot_observed_vs_imputed(values, tmp_path / "o", labels={"y": "Social support, T1"})
    fig = drawn[0]
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert legend == ["observed", "imputed (values from the first 20 of 30 imputations)"]
    assert not any("pooled" in t for t in legend)
    assert [ax.get_title() for ax in fig.axes if ax.axison][0].startswith("Social support, T1\n")


def test_observed_vs_imputed_draws_no_countable_marks_and_no_exact_curves(tmp_path,
                                                                           monkeypatch):
    """Privacy: the people observed are printed as a range where a few are missing ("169-177
    observed"); a dot per value could be counted (174 dots), an exact density curve is a sum
    over the values, an exact category share k / n names n. None of them is in the figure."""
    import re

    import matplotlib.pyplot as plt

    from pipeline.missing_data.figures import plot_observed_vs_imputed

    rng = np.random.default_rng(5)
    flags = {"imputed": np.r_[np.zeros(174, bool), np.ones(8, bool)],
             "imputation": np.r_[np.zeros(174, int), np.arange(8) % 2]}
    values = {
        "qol_T1": pd.DataFrame({"value": np.r_[rng.integers(0, 101, 174).astype(float),
                                              rng.normal(60, 20, 8)], **flags}),
        "gender": pd.DataFrame({"value": ["f"] * 100 + ["m"] * 74 + ["f", "m"] * 4, **flags}),
    }
    for t in values.values():
        t.attrs.update(n_observed=174, n_missing=4)
    heights = []
    real_bar = plt.Axes.bar
    monkeypatch.setattr(plt.Axes, "bar", lambda self, x, h, *a, **k: (
        heights.append(np.asarray(h, dtype=float)), real_bar(self, x, h, *a, **k))[1])
    svg = plot_observed_vs_imputed(values, tmp_path / "o")[1].read_text()
    assert "174 observed" not in svg and "observed, the rest imputed" in svg
    assert len(re.findall(r"<use ", svg)) < 50  # tick marks only: no marker per value (174)
    assert "<image" in svg  # the density curves are pixels
    assert len(heights) == 2
    for h in heights:  # 100/174 = 0.5747 drawn as 0.6
        np.testing.assert_allclose(h * 10, np.round(h * 10), atol=1e-9)
    np.testing.assert_allclose(heights[0], [0.6, 0.4])
