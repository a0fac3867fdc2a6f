"""Tests for pipeline.stats.rci: Jacobson & Truax S_diff, RCI categories, Wilson interval."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from pipeline.stats.rci import rci_categories, s_diff, wilson_interval


def test_s_diff_jacobson_truax_example():
    # Jacobson & Truax (1991): SD 7.5, r_xx 0.88 -> S_diff = sqrt(2 * (7.5 sqrt(0.12))^2) = 3.67
    assert s_diff(7.5, 0.88) == pytest.approx(np.sqrt(2) * 7.5 * np.sqrt(0.12), rel=1e-12)
    assert s_diff(7.5, 0.88) == pytest.approx(3.674, abs=1e-3)
    assert s_diff(2.0, 1 - 1 / 4) == pytest.approx(np.sqrt(2))


def test_categories_and_direction():
    rci = np.array([2.5, 1.0, -2.0, 0.0, 1.96])
    assert list(rci_categories(rci)) == ["improved", "unchanged", "deteriorated", "unchanged",
                                         "unchanged"]
    assert list(rci_categories(rci, higher_is_better=False)) == [
        "deteriorated", "unchanged", "improved", "unchanged", "unchanged"]
    assert list(rci_categories(rci, criterion=0.5)) == ["improved", "improved", "deteriorated",
                                                        "unchanged", "improved"]


def test_wilson_matches_statsmodels():
    count = np.array([0, 1, 13, 50, 187])
    n = np.array([10, 5, 187, 60, 187])
    lo, hi = wilson_interval(count, n)
    slo, shi = proportion_confint(count, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, slo, atol=1e-12)
    np.testing.assert_allclose(hi, shi, atol=1e-12)
    assert np.isnan(wilson_interval([0], [0])[0][0])


def test_wilson_newcombe_table():
    # Newcombe (1998), Table I: 2/5 -> 0.1176 to 0.7693 (R: prop.test(2, 5, correct = FALSE))
    lo, hi = wilson_interval([2], [5])
    assert lo[0] == pytest.approx(0.1176, abs=5e-5) and hi[0] == pytest.approx(0.7693, abs=5e-5)
    lo90, hi90 = wilson_interval([2], [5], conf=0.90)
    assert lo90[0] > lo[0] and hi90[0] < hi[0]
