"""pipeline.comparison.figures: n labels follow the disclosure rule; PNG and SVG written."""

from __future__ import annotations

import pandas as pd

from pipeline.comparison.figures import arm_counts, plot_arms


def _flow():
    rows = []
    for arm, role, entered, answered in (("Programme", "programme", 120, [120, 80]),
                                         ("Usual care", "reference", 40, [40, 8])):
        for w, a in zip(["T0", "T1"], answered):
            rows.append(dict(arm=arm, role=role, wave=w, entered=entered, answered=a))
    return pd.DataFrame(rows)


def _means():
    rows = []
    for arm, role, ns in (("Programme", "programme", [120, 77]),
                          ("Usual care", "reference", [40, 8])):
        for w, n, est in zip(["T0", "T1"], ns, [5.5, 5.0]):
            rows.append(dict(arm=arm, role_arm=role, wave=w, est=est, ci_lower=est - 0.3,
                             ci_upper=est + 0.3, n_observed=n, status="ok"))
    return pd.DataFrame(rows)


def test_counts_small_near_and_equal_to_the_flow():
    shown = arm_counts(_means(), _flow(), 10)
    assert shown[("Programme", "T0")] == 120  # as the flow prints it
    assert shown[("Usual care", "T1")] == "<10"
    assert shown[("Programme", "T1")] == "71-79"  # 3 short of the 80 who answered


def test_figure_is_written_as_png_and_svg(tmp_path):
    paths = plot_arms(_means(), _flow(), tmp_path / "comparison_lon.png", label="Loneliness",
                      waves=["T0", "T1"], wave_labels={"T0": "Entry", "T1": "4 months"},
                      units="points", min_cell=10, method_label="FIML means (95% CI)")
    assert sorted(p.suffix for p in paths) == [".png", ".svg"]
    svg = (tmp_path / "comparison_lon.svg").read_text()
    assert "n = 71-79" in svg and "n &lt; 10" in svg and "n = 77" not in svg


def test_indirect_forest_has_one_point_per_arm_and_effect_and_survives_no_rows(tmp_path):
    from test_comparison_armfits import ARMS, SPEC, chain_wide

    from pipeline.comparison.chains import chain_by_arm, mediation_tables
    from pipeline.comparison.figures import plot_indirect

    fits, _ = chain_by_arm(chain_wide(), SPEC, "arm", ARMS, robust=True)
    med, _ = mediation_tables([(SPEC, fits, [])], 0.95, 200, 1)
    paths = plot_indirect(med, tmp_path / "comparison_indirect_chain.png", title="t")
    assert sorted(p.suffix for p in paths) == [".png", ".svg"]
    svg = (tmp_path / "comparison_indirect_chain.svg").read_text()
    assert "total indirect" in svg and "via m1 \u2192 m2" in svg  # the route in words
    assert "via 1-2" not in svg and "ind_" not in svg
    empty = plot_indirect(med.iloc[0:0], tmp_path / "comparison_indirect_none.png", title="t")
    assert all(p.exists() for p in empty)


def test_route_label_names_the_mediators_not_the_lavaan_label():
    from pipeline.comparison.figures import mediator_names, route_label

    med = pd.DataFrame({"label": ["a1", "a2", "ind_12"], "path": [
        "group_memberships_change_T0_T1 -> belonging_T1",
        "group_memberships_change_T0_T1 -> support_T1", "ind_12"]})
    mediators = mediator_names(med)
    assert mediators == {"1": "belonging_T1", "2": "support_T1"}
    assert route_label("ind_12", mediators) == "via belonging \u2192 support"
    assert route_label("ind_1", mediators, {"belonging": "community belonging"}) == \
        "via community belonging"
    assert route_label("ind_total", {}) == "total indirect"
    assert route_label("ind_3", mediators) == "indirect effect"
