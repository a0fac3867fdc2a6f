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
