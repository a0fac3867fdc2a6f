from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.sem import fit_sem


def test_simple_regression_std_all_is_the_correlation():
    rng = np.random.default_rng(5)
    x = rng.normal(size=300) * 3
    y = 0.4 * x + rng.normal(size=300)
    res = fit_sem("y ~ x", pd.DataFrame({"x": x, "y": y}), missing="listwise")
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    r = np.corrcoef(x, y)[0, 1]
    assert est.loc[("y", "~", "x"), "std_all"] == pytest.approx(r, abs=1e-8)
    assert est.loc[("y", "~~", "y"), "std_all"] == pytest.approx(1 - r**2, abs=1e-8)
    assert est.loc[("x", "~~", "x"), "std_all"] == pytest.approx(1.0)
    assert est.loc[("x", "~~", "x"), "std_all_se"] == pytest.approx(0.0, abs=1e-8)


def test_residual_covariance_is_standardised_to_a_residual_correlation():
    rng = np.random.default_rng(6)
    x = rng.normal(size=400)
    e = rng.multivariate_normal([0, 0], [[1, .5], [.5, 2]], size=400)
    df = pd.DataFrame({"x": x, "y1": x + e[:, 0], "y2": 2 * x + e[:, 1]})
    res = fit_sem("y1 ~ x\ny2 ~ x\ny1 ~~ y2", df, missing="listwise")
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    expected = est[("y1", "~~", "y2")] / np.sqrt(est[("y1", "~~", "y1")] * est[("y2", "~~", "y2")])
    std = res.estimates.set_index(["lhs", "op", "rhs"])["std_all"]
    assert std[("y1", "~~", "y2")] == pytest.approx(expected, rel=1e-10)
