from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import ModelError
from pipeline.sem.defined import compile_definitions, delta_method_se, expression_names
from pipeline.sem.syntax import Definition


def test_sequential_definitions_and_names():
    f = compile_definitions((Definition("ab", "a*b"), Definition("tot", "c + ab"),
                             Definition("d", "(a - c)/2 + a^2")))
    out = f({"a": 2.0, "b": 3.0, "c": 1.0})
    assert out == {"ab": 6.0, "tot": 7.0, "d": 4.5}
    assert expression_names("a*d21*b2 - c") == {"a", "d21", "b2", "c"}


def test_function_calls_and_attributes_are_refused():
    with pytest.raises(ModelError, match="only arithmetic"):
        expression_names("__import__('os')", "m", 3)
    with pytest.raises(ModelError, match="cannot parse"):
        expression_names("a *", "m", 3)


def test_delta_method_for_a_product_equals_the_sobel_formula():
    a, b = 0.4, 0.3
    v = np.array([[0.01, 0.002], [0.002, 0.02]])
    se = delta_method_se(lambda x: np.array([x[0] * x[1]]), np.array([a, b]), v)
    sobel = np.sqrt(b**2 * v[0, 0] + a**2 * v[1, 1] + 2 * a * b * v[0, 1])
    assert se[0] == pytest.approx(sobel, rel=1e-8)
