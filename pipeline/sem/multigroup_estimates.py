"""The estimates table of a multi-group fit: stacked rows back to (group, lhs, op, rhs), and the
``:=`` defined parameters evaluated per group.

Rows follow lavaan's ``parameterEstimates`` per group (group 1's rows, then group 2's, ...),
with the user's variable names and labels; ``equal`` marks a row constrained equal across
groups. A defined parameter is evaluated in each group from that group's labelled parameters;
its standard error by the delta method over the whole parameter vector (so equal parameters
count once) and its ``std.all`` from the group's standardized labelled parameters (as lavaan
``standardizedSolution``). It is ``equal`` when every parameter it uses is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.sem.defined import compile_definitions, delta_method_se, expression_names
from pipeline.sem.partable import ParTable
from pipeline.sem.ram import RAMModel
from pipeline.sem.standardize import std_all_function
from pipeline.stats.distributions import norm_ppf, norm_sf

Z975 = norm_ppf(0.975)
COLUMNS = ["group", "lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower",
           "ci_upper", "std_all", "std_all_se", "equal"]


def _row_values(table: pd.DataFrame, theta: np.ndarray) -> np.ndarray:
    free = table["free"].to_numpy()
    fixed = np.nan_to_num(table["ustart"].to_numpy(dtype=float))
    return np.where(free > 0, theta[np.maximum(free - 1, 0)], fixed)


def _definition_rows(pt: ParTable, stacked: pd.DataFrame, ram: RAMModel, theta: np.ndarray,
                     vcov: np.ndarray | None, shared: np.ndarray, labels: list[str]
                     ) -> pd.DataFrame:
    """Per group, one row per ``:=`` definition (lavaan order: definitions, then groups)."""
    n_rows = len(pt.table)
    defined = compile_definitions(pt.definitions)
    std_fun = std_all_function(ram, stacked)
    user_labels = pt.table["label"].tolist()
    first = {}
    for i, lab in enumerate(user_labels):
        if lab and lab not in first:
            first[lab] = i
    equal_label = {lab: bool(shared[:, i].all()) for lab, i in first.items()}
    for d in pt.definitions:
        equal_label[d.name] = all(equal_label[n] for n in expression_names(d.expr))
    out = []
    for g, group in enumerate(labels):
        idx = {lab: g * n_rows + i for lab, i in first.items()}

        def est_fun(th, idx=idx):
            vals = _row_values(stacked, th)
            return np.fromiter(defined({lab: vals[k] for lab, k in idx.items()}).values(), float)

        def std_fn(th, idx=idx):
            vals = std_fun(th)
            return np.fromiter(defined({lab: vals[k] for lab, k in idx.items()}).values(), float)

        est, std = est_fun(theta), std_fn(theta)
        ok = vcov is not None and np.all(np.isfinite(vcov))
        se = delta_method_se(est_fun, theta, vcov) if ok else np.full(len(est), np.nan)
        std_se = delta_method_se(std_fn, theta, vcov) if ok else np.full(len(est), np.nan)
        for k, d in enumerate(pt.definitions):
            out.append({"group": group, "lhs": d.name, "op": ":=",
                        "rhs": d.expr.replace(" ", ""), "label": d.name, "est": est[k],
                        "se": se[k], "std_all": std[k], "std_all_se": std_se[k],
                        "equal": equal_label[d.name]})
    return pd.DataFrame(out)


def estimates_table(pt: ParTable, stacked: pd.DataFrame, ram: RAMModel, theta: np.ndarray,
                    vcov: np.ndarray | None, std: tuple[np.ndarray, np.ndarray],
                    shared: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """The multi-group estimates (see the module docstring); ``stacked`` is the stacked
    parameter table, ``std`` its standardized solution, ``shared`` from
    :func:`pipeline.sem.multigroup_table.equality_classes`."""
    n_groups, n_rows = shared.shape
    free = stacked["free"].to_numpy()
    est = _row_values(stacked, theta)
    if vcov is not None:
        se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
        se = np.where(free > 0, se_free[np.maximum(free - 1, 0)], 0.0)
    else:
        se = np.where(free > 0, np.nan, 0.0)
    tab = pt.table
    rows = pd.DataFrame({
        "group": np.repeat(labels, n_rows), "lhs": np.tile(tab["lhs"], n_groups),
        "op": np.tile(tab["op"], n_groups), "rhs": np.tile(tab["rhs"], n_groups),
        "label": np.tile(tab["label"], n_groups), "est": est, "se": se,
        "std_all": std[0], "std_all_se": std[1], "equal": shared.ravel()})
    is_free = free > 0
    if pt.definitions:
        drows = _definition_rows(pt, stacked, ram, theta, vcov, shared, labels)
        rows = pd.concat([rows, drows], ignore_index=True)
        is_free = np.concatenate([is_free, np.ones(len(drows), bool)])
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(is_free, rows["est"] / rows["se"], np.nan)
    rows["z"] = z
    rows["pvalue"] = 2 * norm_sf(np.abs(z))
    rows["ci_lower"] = rows["est"] - Z975 * rows["se"]
    rows["ci_upper"] = rows["est"] + Z975 * rows["se"]
    rows["equal"] = rows["equal"].astype(bool)
    return rows[COLUMNS]
