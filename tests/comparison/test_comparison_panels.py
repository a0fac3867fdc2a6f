"""pipeline.comparison.panels: the lagged paths of a by-arm CLPM / RI-CLPM, and the status
rows of what cannot be fitted (the lavaan match is in test_comparison_armfits.py)."""

from __future__ import annotations

import pandas as pd
from test_comparison_armfits import _panel_data

from pipeline.comparison.armfits import TEST_COLUMNS
from pipeline.comparison.panels import (
    CROSSLAG_COLUMNS,
    crosslag_tables,
    lagged_rows,
    panel_by_arm,
)
from pipeline.comparison.settings import ArmPanel

ARMS = ("control", "intervention")
P3 = ArmPanel("pair", ("x", "y"), ("T1", "T2", "T3"), ("clpm",))


def test_lagged_rows_follow_the_syntax():
    rows = lagged_rows("clpm", ("x", "y"), ("T1", "T2"))
    assert rows == [("x_T2", "x_T1", "x", "x", "T1", "T2"), ("x_T2", "y_T1", "y", "x", "T1", "T2"),
                    ("y_T2", "x_T1", "x", "y", "T1", "T2"), ("y_T2", "y_T1", "y", "y", "T1", "T2")]
    assert lagged_rows("riclpm", ("x",), ("T1", "T2"))[0][:2] == ("w_x_T2", "w_x_T1")


def test_the_table_has_every_lagged_path_per_arm_with_robust_ses():
    fits = panel_by_arm(_panel_data("clpm2.csv", 3), P3, "clpm", "arm", ARMS, robust=True)
    tab, test = crosslag_tables([(P3, "clpm", fits)], 0.95)
    assert list(tab.columns) == CROSSLAG_COLUMNS and list(test.columns) == TEST_COLUMNS
    assert len(tab) == 2 * 8 and set(tab["estimator"]) == {"MLR"}
    assert (tab["kind"] == "cross-lagged").sum() == 8
    free = fits.free.estimates.set_index(["group", "lhs", "rhs"])
    for r in tab.itertuples():
        lhs, rhs = f"{r.to_construct}_{r.to_wave}", f"{r.from_construct}_{r.from_wave}"
        assert r.est == free.loc[(r.arm, lhs, rhs), "est"]
    # ML LR, scaled LR (the headline under MLR), robust Wald
    assert test["headline"].tolist() == [False, True, False]
    assert test["test"].str.split(" ").str[0].tolist() == ["likelihood", "scaled", "robust"]
    assert test["scaling_factor"].notna().tolist() == [False, True, False]


def test_one_construct_and_missing_columns_are_status_rows():
    one = ArmPanel("one", ("x",), ("T1", "T2", "T3"), ("clpm",))
    fits = panel_by_arm(_panel_data("clpm2.csv", 3), one, "clpm", "arm", ARMS, robust=True)
    assert fits.status == "not_run" and "one construct" in fits.message
    gone = _panel_data("clpm2.csv", 3).drop(columns=["y_T3"])
    fits2 = panel_by_arm(gone, P3, "clpm", "arm", ARMS, robust=True)
    assert fits2.status == "not_estimable" and "y_T3" in fits2.message
    tab, test = crosslag_tables([(one, "clpm", fits), (P3, "clpm", fits2)], 0.95)
    assert tab["status"].tolist() == ["not_run", "not_estimable"]
    assert test["status"].tolist() == ["not_run", "not_estimable"]


def test_an_riclpm_on_two_waves_is_not_estimable_not_an_error():
    two = ArmPanel("two", ("x", "y"), ("T1", "T2"), ("riclpm",))
    fits = panel_by_arm(_panel_data("clpm2.csv", 3), two, "riclpm", "arm", ARMS, robust=True)
    assert fits.status == "not_estimable" and "3 waves" in fits.message
    assert isinstance(crosslag_tables([(two, "riclpm", fits)], 0.95)[0], pd.DataFrame)
