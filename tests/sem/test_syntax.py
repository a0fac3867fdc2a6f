from __future__ import annotations

import pytest

from pipeline.errors import ModelError
from pipeline.sem.syntax import parse_model


def test_operators_modifiers_and_comments():
    pm = parse_model("""
        # a comment
        f =~ 1*x1 + a*x2 + NA*x3   ! another comment
        y ~ b*f + 0.5*x4; y ~ 1
        y ~~ start(2)*y
        ind := a*b
    """)
    got = [(f.lhs, f.op, f.rhs, f.fixed, f.label, f.free, f.start) for f in pm.formulas]
    assert got == [
        ("f", "=~", "x1", 1.0, None, False, None),
        ("f", "=~", "x2", None, "a", False, None),
        ("f", "=~", "x3", None, None, True, None),
        ("y", "~", "f", None, "b", False, None),
        ("y", "~", "x4", 0.5, None, False, None),
        ("y", "~1", "", None, None, False, None),
        ("y", "~~", "y", None, None, False, 2.0),
    ]
    assert pm.definitions[0].name == "ind" and pm.definitions[0].expr == "a*b"


def test_multiple_lhs_and_continuation_lines():
    pm = parse_model("y1 + y2 ~ x1 +\n   x2\n")
    assert [(f.lhs, f.rhs) for f in pm.formulas] == [
        ("y1", "x1"), ("y2", "x1"), ("y1", "x2"), ("y2", "x2")]


@pytest.mark.parametrize("text, fragment", [
    ("y ~ x\na == b", "'=='"),
    ("y ~ foo(1)*x", "modifier"),
    ("y ~ x +", "empty term"),
    ("just words", "no model operator"),
    ("ab := a*b", "no parameters"),
    ("y ~ 1x", "not a valid variable name"),
])
def test_errors_name_the_problem(text, fragment):
    with pytest.raises(ModelError, match="mymodel") as err:
        parse_model(text, "mymodel")
    assert fragment in str(err.value)
