"""Figures of the mediation stage: written as PNG + SVG; path labels do not collide, carry one
number of decimals per figure, and the units of X and Y are stated."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest
from mediation_helpers import complete_case, reference_spec, wide_from_chain

from pipeline.mediation.figures import (
    LABEL_GID,
    figure_decimals,
    label_overlaps,
    path_diagram_figure,
    plot_indirect_forest,
    plot_no_estimates,
    plot_path_diagram,
)
from pipeline.mediation.units import unit_columns

MEDS = [{"construct": c, "wave": "T1"} for c in ("belonging", "support", "loneliness", "qol")]


def _fit(n_med: int, y=None):
    kw = {"y": y} if y else {}
    spec = reference_spec(mediators=MEDS[:n_med], covariates=["age"], **kw)
    res = complete_case(seed=1, B=200).fit(wide_from_chain(), spec)
    return res.table.assign(**unit_columns(spec)), spec


@pytest.mark.parametrize("n_med", [1, 3])
def test_path_diagram_and_forest(tmp_path, n_med):
    table, spec = _fit(n_med)
    out = plot_path_diagram(table, spec, tmp_path / "path")
    assert [p.suffix for p in out] == [".png", ".svg"] and all(p.stat().st_size > 5000 for p in out)
    half = table.copy()
    half["est"] *= 0.8
    out = plot_indirect_forest({"complete_case": table, "mi": half}, tmp_path / "forest.png",
                               spec=spec)
    assert out[0].exists() and out[0].stat().st_size > 5000
    svg = out[1].read_text()
    assert "points on the 0\u2013100 quality of life scale" in svg


@pytest.mark.parametrize("n_med", [1, 2, 3])
def test_path_labels_do_not_collide_and_share_decimals(n_med):
    table, spec = _fit(n_med)
    fig = path_diagram_figure(table, spec)
    try:
        fig.canvas.draw()
        labels = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == LABEL_GID]
        assert len(labels) == 2 * n_med + n_med * (n_med - 1) // 2 + 1   # a, b, d paths, c'
        assert label_overlaps(fig) == []
        decimals = {len(m.group(1)) for lab in labels
                    for m in [re.search(r"\d\.(\d+)$", lab)] if m}
        assert len(decimals) == 1
        note = " ".join(t.get_text() for t in fig.texts)
        assert "points on the" in note.replace("\n", " ")
    finally:
        plt.close(fig)


def test_overlap_check_can_fail():
    table, spec = _fit(3)
    fig = path_diagram_figure(table, spec)
    try:
        labels = [t for ax in fig.axes for t in ax.texts if t.get_gid() == LABEL_GID]
        for t in labels:
            t.set_position((6.0, 1.0))
        assert label_overlaps(fig)
    finally:
        plt.close(fig)


def test_figure_decimals():
    assert figure_decimals([0.38, 1.54, 2.2]) == 2
    assert figure_decimals([0.02, 0.03, 0.04]) == 3
    assert figure_decimals([0.0001, 0.0002]) == 4
    assert figure_decimals([12.0, 30.0]) == 2


def test_placeholder_when_no_method_could_estimate(tmp_path):
    out = plot_no_estimates(reference_spec(), "only 12 complete cases", tmp_path / "path.png")
    assert [p.suffix for p in out] == [".png", ".svg"] and "only 12" in out[1].read_text()


def test_the_title_never_prints_the_exact_n_with_the_outcome():
    """"n = 630, 174 with the outcome" beside the 178 who answered at the wave gave back the 4
    without a score (found in the rendered demo report): the title names n only."""
    table, spec = _fit(2)
    table = table.assign(n_outcome=174)
    fig = path_diagram_figure(table, spec)
    try:
        titles = " ".join(ax.get_title() for ax in fig.axes)
        assert "n = " in titles and "with the outcome" not in titles and "174" not in titles
    finally:
        plt.close(fig)
