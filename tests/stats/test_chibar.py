"""pipeline.stats.chibar against a hand computation and R (tests/fixtures/chibar/).

Reference: ``Rscript tests/fixtures/chibar/chibar_reference.R`` (in the repository root) writes
``chibar_reference.csv``: ``sum(w * pchisq(stat, 0:q, lower.tail = FALSE))`` for the stated
weights, and the tail of the limiting statistic simulated in R (200,000 symmetric Gaussian
matrices; the sum of squared positive eigenvalues), independent of the Python code.
"""

from __future__ import annotations

from math import erfc, exp, pi, sqrt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.stats.chibar import (
    chibar_sf,
    covariance_matrix_weights,
    describe_psd_mixture,
    format_weights,
    independent_variance_weights,
    psd_cone_sf,
)

REF = pd.read_csv(Path(__file__).resolve().parents[1] / "fixtures" / "chibar"
                  / "chibar_reference.csv")


def _tail(x: float, df: int) -> float:
    """Closed-form chi-square upper tails for df 1, 2, 3 (no scipy)."""
    if df == 1:
        return erfc(sqrt(x / 2))
    if df == 2:
        return exp(-x / 2)
    return erfc(sqrt(x / 2)) + sqrt(2 * x / pi) * exp(-x / 2)


def test_two_random_intercepts_by_hand():
    # CLPM vs RI-CLPM with 2 constructs: T = 5.105 on 3 parameters (2 variances + 1 covariance).
    t = 5.105061021
    a, b = (2 - sqrt(2)) / 4, sqrt(2) / 4
    hand = b * _tail(t, 1) + b * _tail(t, 2) + a * _tail(t, 3)   # chi2_0 adds nothing for t > 0
    assert hand == pytest.approx(0.0600266, abs=1e-6)
    assert chibar_sf(t, covariance_matrix_weights(2)) == pytest.approx(hand, rel=1e-10)
    # smaller than the plain chi2(3) p-value (0.164), which is conservative
    assert chibar_sf(t, covariance_matrix_weights(2)) < _tail(t, 3)


def test_one_variance_is_the_50_50_mixture():
    assert list(covariance_matrix_weights(1)) == [0.5, 0.5]
    assert chibar_sf(3.84, [0.5, 0.5]) == pytest.approx(0.5 * _tail(3.84, 1), rel=1e-12)
    assert chibar_sf(0.0, [0.5, 0.5]) == 1.0 and chibar_sf(-0.2, [0.5, 0.5]) == 1.0


@pytest.mark.parametrize("row", REF[REF["pvalue_mixture"].notna()].to_dict("records"))
def test_mixture_pvalues_match_r_pchisq(row):
    w = (independent_variance_weights(row["k"]) if row["case"] == "independent"
         else covariance_matrix_weights(row["k"]))
    assert chibar_sf(row["stat"], w) == pytest.approx(row["pvalue_mixture"], abs=1e-9)


@pytest.mark.parametrize("row", REF[REF["pvalue_sim"].notna()].to_dict("records"))
def test_weights_match_the_limiting_distribution_simulated_in_r(row):
    """The k = 2 closed-form weights and the k = 3 simulated tail agree with R's independent
    simulation within 4 Monte Carlo standard errors (of both simulations)."""
    p = row["pvalue_sim"]
    mcse = sqrt(p * (1 - p) / row["n_sim"]) + sqrt(p * (1 - p) / 100_000)
    assert psd_cone_sf(row["stat"], int(row["k"])) == pytest.approx(p, abs=4 * mcse + 1e-4)


def test_weights_are_a_distribution_with_the_right_mean():
    # for a cone the even and odd weights each sum to 1/2; the mean df is half the dimension
    for k in (1, 2):
        w = covariance_matrix_weights(k)
        q = len(w) - 1
        assert w.sum() == pytest.approx(1) and w[::2].sum() == pytest.approx(0.5)
        assert (w * np.arange(q + 1)).sum() == pytest.approx(q / 2)
    assert list(independent_variance_weights(2)) == [0.25, 0.5, 0.25]


def test_bad_input_is_refused():
    with pytest.raises(DataError, match="sum to 1"):
        chibar_sf(1.0, [0.5, 0.6])
    with pytest.raises(DataError, match="no closed-form"):
        covariance_matrix_weights(3)
    with pytest.raises(DataError, match="at least one"):
        psd_cone_sf(1.0, 0)


def test_words():
    assert format_weights([0.5, 0.5]) == "0.500 chi2_0 + 0.500 chi2_1"
    assert "0.146 chi2_0 + 0.354 chi2_1" in describe_psd_mixture(2)
    assert "fixed-seed" in describe_psd_mixture(5)
