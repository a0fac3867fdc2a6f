from __future__ import annotations

import numpy as np

from pipeline.sem.partable import build_partable
from pipeline.sem.ram import build_ram, vech_indices
from pipeline.sem.syntax import parse_model

MODEL = """
f =~ x1 + x2 + x3
y ~ f + z
x1 ~~ x2
"""


def _model():
    return build_ram(build_partable(parse_model(MODEL)))


def _moments(ram, theta):
    sig, mu = ram.implied(theta)
    r, c = vech_indices(ram.p)
    return np.concatenate([mu, sig[r, c]])


def test_jacobian_matches_numerical_derivative():
    ram = _model()
    rng = np.random.default_rng(3)
    theta = rng.uniform(0.3, 0.9, ram.n_free)
    jac = ram.jacobian(theta)
    num = np.empty_like(jac)
    for k in range(ram.n_free):
        h = np.zeros(ram.n_free)
        h[k] = 1e-6
        num[:, k] = (_moments(ram, theta + h) - _moments(ram, theta - h)) / 2e-6
    np.testing.assert_allclose(jac, num, atol=1e-7)


def test_implied_covariance_of_a_simple_regression():
    ram = build_ram(build_partable(parse_model("y ~ b*x")))
    # free order: b, y~~y, x~~x, y~1, x~1  (ov order: y, x)
    sig, mu = ram.implied(np.array([2.0, 1.0, 3.0, 0.5, 1.0]))
    np.testing.assert_allclose(sig, [[2 * 2 * 3 + 1, 2 * 3], [2 * 3, 3]])
    np.testing.assert_allclose(mu, [0.5 + 2 * 1.0, 1.0])


def test_vech_order_is_column_major_lower_triangle():
    r, c = vech_indices(3)
    assert list(zip(r, c)) == [(0, 0), (1, 0), (2, 0), (1, 1), (2, 1), (2, 2)]
