"""Multi-group models as one stacked single-group model (lavaan ``group =`` / ``group.equal =``).

lavaan fits ``G`` groups with one parameter table holding ``G`` copies of the single-group rows
(``lav_partable_flat`` with ``ngroups``); parameters are made equal across groups by giving
them one label (``lav_partable_labels``: ``group.equal`` flags group 1's rows of a class and
copies their label to the same ``lhs op rhs`` in groups 2..G, unless ``group.partial`` names
the row). The log-likelihood is the sum of the groups' (FIML) log-likelihoods.

That likelihood is exactly the FIML likelihood of one *stacked* single-group model: group
``k``'s variable ``v`` is renamed ``v__g<k>``, observed only in group ``k``'s rows, and no path,
covariance or mean crosses groups (the implied covariance matrix is block diagonal). So the
single-group engine's estimator, information matrices and sandwich apply unchanged; only the
counting rule, the saturated (h1) and baseline models and the fit measures are per group
(:mod:`pipeline.sem.multigroup_measures`).

This module builds the stacked model: the group labels (:func:`group_levels`), the equality
classes (:func:`equality_classes`), the stacked syntax in ``lavaan()`` mode with every row
written out (:func:`stacked_syntax`) and the stacked data (:func:`stacked_frame`).

One deliberate difference from lavaan: a *user* label is copied per group (``a`` in group 2 is
its own parameter; within a group a shared label still means equal), so ``:=`` definitions are
evaluated per group (lavaan needs ``c(a1, a2)*x`` for that). A label listed in ``group_equal``
makes that parameter equal across groups, as lavaan's plain label would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError, closest_names
from pipeline.sem.partable import ParTable

SUFFIX = "__g"
#: lavaan ``group.equal`` keywords supported (continuous models)
EQUAL_KEYWORDS = ("loadings", "intercepts", "means", "regressions", "residuals",
                  "residual.covariances", "lv.variances", "lv.covariances")
_STACKED = re.compile(r"\b([A-Za-z_.][A-Za-z0-9_.]*?)__g(\d+)\b")


@dataclass(frozen=True)
class Groups:
    """The grouping: labels in model order and, per used data row, its group index."""

    column: str
    labels: list[str]
    rows: list[np.ndarray]      # per group: positions (iloc) of its rows in the data
    n_missing: int              # rows with no group value (dropped)


def stacked_name(var: str, g: int) -> str:
    """The stacked model's name of variable ``var`` in group index ``g`` (0-based)."""
    return f"{var}{SUFFIX}{g + 1}"


def readable(text: str, labels: list[str]) -> str:
    """Replace stacked names ``v__g<k>`` in a message by ``v [<group label>]``."""
    return _STACKED.sub(lambda m: f"{m.group(1)} [{labels[int(m.group(2)) - 1]}]", text)


def _label(value) -> str:
    """A group value as text (``1.0`` as ``1``, as the data column's labels)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def group_levels(data: pd.DataFrame, group: str, group_order, name: str) -> Groups:
    """Group labels and rows, as lavaan: the categories of a categorical column, else the
    values in order of first appearance; ``group_order`` (values or their text) overrides."""
    if group not in data.columns:
        hint = ", ".join(repr(h) for h in closest_names(group, [str(c) for c in data.columns]))
        raise DataError(f"{name}: the data have no grouping column {group!r}"
                        f"{f' (did you mean {hint}?)' if hint else ''}; name the column that "
                        "holds the group (e.g. scheme or arm).")
    col = data[group]
    present = col.notna().to_numpy()
    if pd.api.types.is_float_dtype(col) and (col[present] % 1 == 0).all():
        col = col.astype("Int64")    # arms coded 0/1 with a missing value: "1", not "1.0"
    text = np.where(present, col.astype(str).to_numpy(), "")
    if isinstance(col.dtype, pd.CategoricalDtype):
        found = [str(c) for c in col.cat.categories if (col == c).any()]
    else:
        found = list(dict.fromkeys(text[present]))
    if group_order is not None:
        order = [_label(v) for v in group_order]
        if len(set(order)) != len(order):
            raise ModelError(f"{name}: group_order {order} names a group twice.")
        extra = [v for v in found if v not in order]
        absent = [v for v in order if v not in found]
        if extra or absent:
            raise DataError(
                f"{name}: group_order {order} does not match the values of column {group!r} "
                f"(in the data but not in group_order: {extra}; in group_order but without "
                f"cases: {absent}); list every group that has cases, once.")
        found = order
    if len(found) < 2:
        raise DataError(f"{name}: column {group!r} has {len(found)} group(s) {found}; a "
                        "multi-group model needs at least 2. Fit a single-group model instead.")
    rows = [np.flatnonzero(present & (text == lab)) for lab in found]
    return Groups(group, found, rows, int((~present).sum()))


def _row_keyword(tab: pd.DataFrame, ov_nox: set[str], lv: set[str]) -> list[str]:
    """The ``group.equal`` class of each row (lavaan ``lav_partable_labels``), or ''."""
    out = []
    for r in tab.itertuples():
        kw = ""
        if r.op == "=~":
            kw = "loadings"
        elif r.op == "~":
            kw = "regressions"
        elif r.op == "~1":
            kw = "intercepts" if r.lhs in ov_nox else "means" if r.lhs in lv else ""
        elif r.op == "~~" and r.lhs in ov_nox:
            kw = "residuals" if r.lhs == r.rhs else "residual.covariances"
        elif r.op == "~~" and r.lhs in lv:
            kw = "lv.variances" if r.lhs == r.rhs else "lv.covariances"
        out.append(kw)
    return out


def _row_key(lhs: str, op: str, rhs: str) -> str:
    return f"{lhs}{op}{rhs}"


def _check_requests(pt: ParTable, group_equal, group_partial, name: str) -> set[str]:
    """Validate ``group_equal`` / ``group_partial``; return the partial rows' keys."""
    labels = sorted(set(pt.table["label"]) - {""})
    for item in group_equal:
        if item not in EQUAL_KEYWORDS and item not in labels:
            raise ModelError(
                f"{name}: group_equal entry {item!r} is neither a lavaan group.equal keyword "
                f"({', '.join(EQUAL_KEYWORDS)}) nor a label of the model ({labels or 'none'}).")
    keys = {_row_key(r.lhs, r.op, r.rhs) for r in pt.table.itertuples()}
    partial = set()
    for item in group_partial:
        key = re.sub(r"\s+", "", str(item))
        if key not in keys:
            raise ModelError(f"{name}: group_partial entry {item!r} is not a parameter of the "
                             "model; write it as lavaan does, e.g. 'y ~ x', 'x ~~ x', 'y ~ 1'.")
        partial.add(key)
    return partial


def _find(parent: dict, a):
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def equality_classes(pt: ParTable, n_groups: int, group_equal=(), group_partial=(),
                     name: str = "model") -> tuple[np.ndarray, np.ndarray]:
    """Free-parameter number of every (group, row) of the stacked table, and whether it is
    shared with another group.

    Returns ``(free, shared)``, both of shape ``(n_groups, n_rows)``: ``free[g, i]`` is 0 for
    a fixed row, else the 1-based number of its free parameter, numbered in order of first
    appearance (group 1's rows, then group 2's, as lavaan); within a group the single-group
    numbering (shared labels) is kept. With ``"intercepts"`` but not ``"means"`` in
    ``group_equal`` the default-fixed latent means of groups 2..G are freed (lavaan
    ``lav_partable_flat``: identification of latent means under scalar invariance).
    """
    partial = _check_requests(pt, group_equal, group_partial, name)
    tab = pt.table
    lv = set(pt.lv_names)
    ov_nox = set(pt.ov_names) - set(pt.ov_x)
    kw = _row_keyword(tab, ov_nox, lv)
    free1 = tab["free"].to_numpy()
    free_lv_means = "intercepts" in group_equal and "means" not in group_equal
    nodes = np.empty((n_groups, len(tab)), dtype=object)
    for g in range(n_groups):
        for i, r in enumerate(tab.itertuples()):
            if free1[i] > 0:
                nodes[g, i] = (g, int(free1[i]))
            elif (g > 0 and free_lv_means and r.op == "~1" and r.lhs in lv and r.user == 0):
                nodes[g, i] = (g, "mean", i)
            else:
                nodes[g, i] = None
    parent = {n: n for n in nodes.ravel() if n is not None}
    for i, r in enumerate(tab.itertuples()):
        flagged = kw[i] in group_equal or (r.label and r.label in group_equal)
        if not flagged or free1[i] == 0 or _row_key(r.lhs, r.op, r.rhs) in partial:
            continue
        for g in range(1, n_groups):
            parent[_find(parent, nodes[g, i])] = _find(parent, nodes[0, i])
    number: dict = {}
    members: dict = {}
    free = np.zeros((n_groups, len(tab)), dtype=int)
    for g in range(n_groups):
        for i in range(len(tab)):
            if nodes[g, i] is None:
                continue
            root = _find(parent, nodes[g, i])
            free[g, i] = number.setdefault(root, len(number) + 1)
            members.setdefault(free[g, i], set()).add(g)
    shared = np.vectorize(lambda k: k > 0 and len(members[k]) > 1)(free)
    return free, shared.astype(bool)


def _number(value: float) -> str:
    return repr(float(value)).replace("e+", "e")   # shortest round-trip text, no '+'


def stacked_syntax(pt: ParTable, free: np.ndarray) -> str:
    """The stacked model in ``lavaan()``-mode syntax: every row of every group written out,
    fixed rows with their value, free rows labelled ``p<k>`` by their free-parameter number
    (one label per equality class), user start values kept."""
    tab = pt.table
    lines = []
    for g in range(free.shape[0]):
        for i, r in enumerate(tab.itertuples()):
            if free[g, i] > 0:
                mod = f"p{free[g, i]}*"
                if not np.isnan(r.start):
                    mod += f"start({_number(r.start)})*"
            else:
                ustart = 0.0 if np.isnan(r.ustart) else float(r.ustart)
                mod = f"{_number(ustart)}*"
            lhs = stacked_name(r.lhs, g)
            if r.op == "~1":
                lines.append(f"{lhs} ~ {mod}1")
            else:
                lines.append(f"{lhs} {r.op} {mod}{stacked_name(r.rhs, g)}")
    return "\n".join(lines)


def stacked_frame(frames: list[pd.DataFrame], ov_names: list[str]) -> pd.DataFrame:
    """Stack the groups' data: group ``k``'s values in columns ``v__g<k>``, missing elsewhere."""
    n_g = [len(f) for f in frames]
    cols = [stacked_name(v, g) for g in range(len(frames)) for v in ov_names]
    x = np.full((sum(n_g), len(cols)), np.nan)
    start = 0
    for g, f in enumerate(frames):
        p = len(ov_names)
        x[start:start + n_g[g], g * p:(g + 1) * p] = f[ov_names].to_numpy(dtype=float,
                                                                           na_value=np.nan)
        start += n_g[g]
    return pd.DataFrame(x, columns=cols)
