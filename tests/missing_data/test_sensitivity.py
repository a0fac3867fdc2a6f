"""Tests for pipeline.missing_data.sensitivity: when the tipping-point analysis of the primary
estimand is done, and with which imputation model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.missing_data.primary import Estimand
from pipeline.missing_data.sensitivity import sensitivity_table
from pipeline.missing_data.settings import SensitivitySettings
from pipeline.stats.mice import MiceSettings, mice

MICE = MiceSettings(method="pmm", m=3, m_min=5, m_max=100, iterations=2, donors=5, ridge=1e-5)
E = Estimand("y", "T0", "T1")


def _sens(mode: str = "post") -> SensitivitySettings:
    return SensitivitySettings(outcome="y", baseline_wave="T0", wave="T1", units="points",
                               deltas=(-5.0, 5.0), mode=mode)


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(8)
    y0 = rng.normal(50, 10, 80)
    y1 = y0 + 3 + rng.normal(0, 5, 80)
    y1[rng.random(80) < 0.3] = np.nan
    return pd.DataFrame({"y_T0": y0, "y_T1": y1})


@pytest.mark.parametrize("mode", ["post", "chain"])
def test_grid_with_zero_added(wide, mode):
    res = mice(wide, list(wide.columns), seed=2, **MICE.kwargs())
    t = sensitivity_table(wide, res, E, _sens(mode), MICE, list(wide.columns), 2, "raise",
                          (0.0, 100.0), None)
    assert t["delta"].tolist() == [-5.0, 0.0, 5.0] and (t["status"] == "ok").all()
    assert (t["mode"] == mode).all() and (t["m"] == 3).all()


def test_not_estimable_mi_gives_one_status_row(wide):
    res = mice(wide, list(wide.columns), seed=2, **MICE.kwargs())
    t = sensitivity_table(wide, res, E, _sens(), MICE, list(wide.columns), 2, "raise",
                          (0.0, 100.0), "y_T1 could not be imputed")
    assert t["status"].tolist() == ["not_estimable"]
    assert t["message"].iloc[0] == "y_T1 could not be imputed" and np.isnan(t["estimate"].iloc[0])


def test_complete_outcome_needs_no_tipping_point(wide):
    full = wide.fillna(50.0)
    res = mice(full, list(full.columns), seed=2, **MICE.kwargs())
    t = sensitivity_table(full, res, E, _sens(), MICE, list(full.columns), 2, "raise",
                          (0.0, 100.0), None)
    assert t["status"].tolist() == ["not_estimable"] and "no missing values" in t["message"][0]


def test_fewer_than_min_cell_at_the_wave_is_not_estimable():
    """3 people at the follow-up (min_cell 10): the change wing publishes no change for so few,
    so the tipping point is not estimable either (found on a 12-person small study)."""
    wide = pd.DataFrame({"y_T0": np.arange(12.0), "y_T1": [1.0, 2.0, 3.0] + [np.nan] * 9})
    from types import SimpleNamespace

    table = sensitivity_table(wide, None, E, SimpleNamespace(mode="post"), None, [], 1, "",
                              (0.0, 10.0), None, min_cell=10)
    assert (table["status"] == "not_estimable").all()
    assert "fewer than 10 people" in table["message"].iloc[0]
