"""Completely standardised solution (lavaan ``standardizedSolution(type = "std.all")``).

With model-implied total variances ``V`` (diagonal of ``Omega``) and ``sd = sqrt(V)``:

* loading ``f =~ x``: ``est sd_f / sd_x``; regression ``y ~ x``: ``est sd_x / sd_y``;
* variance ``v ~~ v``: ``est / V_v``; intercept ``v ~1``: ``est / sd_v``;
* covariance ``a ~~ b``: ``est / sqrt(|psi_a| |psi_b|)`` with ``psi`` the (residual) variance
  parameters, i.e. a residual correlation (lavaan's default ``cov.std = TRUE``);
* defined parameters: the ``:=`` expression evaluated at the standardised labelled parameters.

Standard errors by the delta method with a numerical Jacobian (lavaan uses the same approach).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.sem.defined import delta_method_se
from pipeline.sem.ram import RAMModel


def std_all_function(model: RAMModel, table: pd.DataFrame,
                     defined: Callable[[dict[str, float]], dict[str, float]] | None = None
                     ) -> Callable[[np.ndarray], np.ndarray]:
    """Return ``f(theta) -> std.all`` for every table row, then every defined parameter."""
    pos = {v: k for k, v in enumerate(model.names)}
    op = table["op"].to_numpy()
    li = np.array([pos[v] for v in table["lhs"]])
    ri = np.array([pos.get(v, -1) for v in table["rhs"]])
    free = table["free"].to_numpy()
    fixed_vals = np.nan_to_num(table["ustart"].to_numpy(dtype=float))
    labels = table["label"].to_numpy()
    first_label = {}
    for k, lab in enumerate(labels):
        if lab and lab not in first_label:
            first_label[lab] = k
    loading, reg = op == "=~", op == "~"
    var = (op == "~~") & (li == ri)
    cov = (op == "~~") & (li != ri)
    icpt = op == "~1"

    def fun(theta: np.ndarray) -> np.ndarray:
        _, s, _ = model.matrices(theta)
        _, omega, _ = model.implied_all(theta)
        v = np.diag(omega).copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.where(v > np.finfo(float).eps, np.sqrt(np.where(v > 0, v, 1.0)), np.nan)
            rv = np.sqrt(np.abs(np.diag(s)))
            est = np.where(free > 0, theta[np.maximum(free - 1, 0)], fixed_vals)
            out = np.full(len(est), np.nan)
            out[loading] = est[loading] * sd[li[loading]] / sd[ri[loading]]
            out[reg] = est[reg] * sd[ri[reg]] / sd[li[reg]]
            out[var] = est[var] / sd[li[var]] ** 2
            out[cov] = est[cov] / (rv[li[cov]] * rv[ri[cov]])
            out[icpt] = est[icpt] / sd[li[icpt]]
        if defined is None:
            return out
        vals = defined({lab: out[k] for lab, k in first_label.items()})
        return np.concatenate([out, np.fromiter(vals.values(), float, len(vals))])

    return fun


def standardized_solution(model: RAMModel, table: pd.DataFrame, theta: np.ndarray,
                          vcov: np.ndarray | None, defined=None) -> tuple[np.ndarray, np.ndarray]:
    """std.all estimates and delta-method standard errors (rows, then defined parameters)."""
    fun = std_all_function(model, table, defined)
    est = fun(theta)
    if vcov is None or not np.all(np.isfinite(vcov)):
        return est, np.full(est.shape, np.nan)
    return est, delta_method_se(fun, theta, vcov)
