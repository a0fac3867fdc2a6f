"""Figures of the mediation stage render and are written as PNG + SVG."""

from __future__ import annotations

import pytest
from mediation_helpers import complete_case, reference_spec, wide_from_chain

from pipeline.mediation.figures import plot_indirect_forest, plot_no_estimates, plot_path_diagram


@pytest.mark.parametrize("n_med", [1, 3])
def test_path_diagram_and_forest(tmp_path, n_med):
    meds = [{"construct": c, "wave": "T1"} for c in ("belonging", "support", "loneliness")][:n_med]
    spec = reference_spec(mediators=meds, covariates=["age"])
    res = complete_case(seed=1, B=200).fit(wide_from_chain(), spec)
    out = plot_path_diagram(res.table, spec, tmp_path / "path")
    assert [p.suffix for p in out] == [".png", ".svg"] and all(p.stat().st_size > 5000 for p in out)
    half = res.table.copy()
    half["est"] *= 0.8
    out = plot_indirect_forest({"complete case": res.table, "mi": half}, tmp_path / "forest.png")
    assert out[0].exists() and out[0].stat().st_size > 5000


def test_placeholder_when_no_method_could_estimate(tmp_path):
    out = plot_no_estimates(reference_spec(), "only 12 complete cases", tmp_path / "path.png")
    assert [p.suffix for p in out] == [".png", ".svg"] and "only 12" in out[1].read_text()
