from __future__ import annotations

import numpy as np
import pytest
from conftest import case_inputs

from pipeline.sem.estimate import fisher_scoring, prepare_data, start_values
from pipeline.sem.information import (
    information_expected,
    information_first_order,
    information_observed,
    null_directions,
    sandwich,
)
from pipeline.sem.partable import build_partable
from pipeline.sem.ram import build_ram
from pipeline.sem.syntax import parse_model


@pytest.fixture(scope="module")
def complete_fit():
    syntax, data, _ = case_inputs("mediation_serial3_complete")
    pt = build_partable(parse_model(syntax))
    ram = build_ram(pt)
    pdat = prepare_data(data, pt.ov_names, "listwise", "m")
    opt = fisher_scoring(ram, pdat, start_values(pt, ram, pdat))
    return ram, pdat, opt.theta


def test_observed_equals_expected_for_a_saturated_complete_data_model(complete_fit):
    ram, pdat, theta = complete_fit   # saturated model at the MLE: Hessian = expected info
    obs = information_observed(ram, theta, pdat)
    exp = information_expected(ram, theta, pdat)
    np.testing.assert_allclose(obs, exp, rtol=1e-4, atol=1e-4 * np.abs(exp).max())


def test_sandwich_reduces_to_inverse_when_meat_equals_bread(complete_fit):
    ram, pdat, theta = complete_fit
    a = information_expected(ram, theta, pdat)
    np.testing.assert_allclose(sandwich(a, a), np.linalg.inv(a), rtol=1e-8,
                               atol=1e-12)
    b = information_first_order(ram, theta, pdat)
    assert b.shape == a.shape and np.all(np.linalg.eigvalsh(b) > 0)


def test_null_directions_name_the_redundant_parameters():
    info = np.array([[2.0, 2.0, 0.0], [2.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    assert null_directions(info, ["a", "b", "c"]) == [["a", "b"]]
    assert null_directions(np.eye(3), ["a", "b", "c"]) == []


def _prepared(syntax, data):
    pt = build_partable(parse_model(syntax))
    ram = build_ram(pt)
    pdat = prepare_data(data, pt.ov_names, "ml", "m")
    return ram, pdat, fisher_scoring(ram, pdat, start_values(pt, ram, pdat)).theta


def test_saturated_model_observed_information_is_exact_and_has_no_curvature_term():
    """The FIML wave-means model (free means and covariances only) has moments linear in the
    parameters: its observed information is ``Delta' (-H_m) Delta`` with the exact moment
    Hessian, lavaan's five-point rule to its rounding noise."""
    from pipeline.sem.fiml_moments import moment_derivatives, stack_patterns
    from pipeline.sem.information import information_observed_numeric
    from pipeline.stats.fiml_means import saturated_syntax

    _, data, _ = case_inputs("clpm_2x3_fiml")
    cols = ["belonging_T0", "belonging_T1", "belonging_T2", "loneliness_T0", "age"]
    syntax, _ = saturated_syntax(cols, {"y": cols[:3]})
    ram, pdat, theta = _prepared(syntax, data)
    assert not np.any(ram.kind == 0) and pdat.n_patterns > 1
    got = information_observed(ram, theta, pdat)
    sigma, mu = ram.implied(theta)
    neg_h = moment_derivatives(sigma, mu, stack_patterns(pdat), "observed")[2]
    delta = ram.jacobian(theta)
    exact = delta.T @ neg_h @ delta
    np.testing.assert_allclose(got, (exact + exact.T) / 2, rtol=1e-13, atol=1e-13)
    ref = information_observed_numeric(ram, theta, pdat)
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())


@pytest.mark.parametrize("case", ["mediation_serial3_fiml", "cfa_2f_fiml"])
def test_first_order_information_is_the_cross_product_of_parameter_scores(case):
    from pipeline.sem.fiml import casewise_scores

    syntax, data, _ = case_inputs(case)
    ram, pdat, theta = _prepared(syntax, data)
    sigma, mu = ram.implied(theta)
    scores = casewise_scores(sigma, mu, pdat) @ ram.jacobian(theta)
    ref = scores.T @ scores
    got = information_first_order(ram, theta, pdat)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())
