"""Defined parameters (lavaan ``:=``) and their delta-method standard errors.

An expression is arithmetic (``+ - * / **``, unary minus, numbers, parentheses) of parameter
labels and earlier defined parameters. Standard errors by the delta method:
``Var(g(theta)) = J V J'`` with ``J`` the Jacobian of ``g`` at the estimate (Sobel 1982;
lavaan computes the same with a numerical Jacobian).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import numpy as np

from pipeline.errors import ModelError
from pipeline.sem.syntax import Definition

_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
            ast.Pow, ast.USub, ast.UAdd, ast.Name, ast.Load, ast.Constant)


def parse_expression(expr: str, model: str, line: int) -> ast.Expression:
    try:
        tree = ast.parse(expr.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ModelError(
            f"{model}: line {line}: cannot parse defined expression '{expr}'."
        ) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED) or (
                isinstance(node, ast.Constant) and not isinstance(node.value, (int, float))):
            raise ModelError(
                f"{model}: line {line}: '{expr}' uses something other than + - * / ^, numbers "
                "and labels; only arithmetic of labels is supported in ':='."
            )
    return tree


def expression_names(expr: str, model: str = "model", line: int = 0) -> set[str]:
    """Labels used in a defined-parameter expression."""
    return {n.id for n in ast.walk(parse_expression(expr, model, line)) if isinstance(n, ast.Name)}


def compile_definitions(defs: tuple[Definition, ...], model: str = "model"
                        ) -> Callable[[Mapping[str, float]], dict[str, float]]:
    """Return ``f(label_values) -> {name: value}`` evaluating the definitions in order."""
    code = [(d.name, compile(parse_expression(d.expr, model, d.line), f"<{d.name}>", "eval"))
            for d in defs]

    def evaluate(values: Mapping[str, float]) -> dict[str, float]:
        env = dict(values)
        out: dict[str, float] = {}
        for name, c in code:
            val = float(eval(c, {"__builtins__": {}}, env))
            env[name] = val
            out[name] = val
        return out

    return evaluate


def numeric_jacobian(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                     rel_step: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of a vector function (rows = outputs)."""
    x = np.asarray(x, dtype=float)
    f0 = np.asarray(fun(x), dtype=float)
    jac = np.empty((f0.size, x.size))
    for k in range(x.size):
        h = rel_step * max(1.0, abs(x[k]))
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        jac[:, k] = (np.asarray(fun(xp)) - np.asarray(fun(xm))) / (2 * h)
    return jac


def delta_method_se(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                    vcov: np.ndarray) -> np.ndarray:
    """Delta-method standard errors ``sqrt(diag(J V J'))`` of ``fun`` at ``x``."""
    jac = numeric_jacobian(fun, x)
    var = np.einsum("ij,jk,ik->i", jac, vcov, jac)
    return np.sqrt(np.clip(var, 0.0, None))
