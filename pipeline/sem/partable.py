"""Parameter table: the parsed syntax plus lavaan's default parameters.

Reproduces ``lavaan::lav_partable_flat`` for single-group continuous models with
``fixed.x = FALSE`` (exogenous observed variables are random: their means, variances and
covariances are free parameters) and ``conditional.x = FALSE``.

Variable classes (lavaan ``lav_partable_vnames``): latent ``lv`` = lhs of ``=~``; observed ``ov``
= indicators, then dependent ``ov.y`` (lhs of ``~``), then exogenous ``ov.x`` (only on the rhs
of ``~``), then variables seen only in ``~~`` / ``~1``. An ``ov.x`` named in a user ``~~`` or
``~1`` formula stops being ``ov.x`` (lavaan does the same).

Defaults added in ``sem()`` mode (``auto.var``, ``auto.fix.first``, ``auto.fix.single``,
``auto.cov.lv.x``, ``auto.cov.y``, ``int.ov.free``): residual variances of every non-x observed
variable and every latent variable; covariances among exogenous latents; covariances among
"pure" dependent variables (not predictors, not indicators); variances and covariances of the
observed x's; intercepts of observed variables (free) and latent means (fixed 0). In
``lavaan()`` mode the same rows exist but default variances are fixed to 0 and only
``int_ov_free`` frees intercepts, as lavaan does.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.sem.syntax import Definition, Formula, ParsedModel

# build_partable in steps (cf. lavaan ``lavaanify`` / ``lav_partable_flat``):
#   1. check the mode; classify the variables             (_variable_classes)
#   2. user rows, in syntax order, duplicates ignored     (_user_rows)
#   3. default rows lavaan adds (variances, covariances,
#      intercepts / latent means), unless already present  (_add_default_rows)
#   4. default fixings: auto.var (lavaan mode), auto.fix.single, auto.fix.first,
#      intercepts (int.ov.free) and latent means           (_default_fixing)
#   5. user modifiers: fixed values, free(), labels, start (_apply_modifiers)
#   6. number the free parameters; equal labels share one  (_number_free)
#   7. assemble the table; check ``:=`` definitions        (_check_definitions)


@dataclass(frozen=True)
class ParTable:
    """Rows ``lhs, op, rhs, user, free (0 = fixed, k = k-th free parameter), ustart, label,
    start`` plus the variable lists."""

    table: pd.DataFrame
    ov_names: list[str]
    lv_names: list[str]
    ov_x: list[str]
    definitions: tuple[Definition, ...]

    @property
    def n_free(self) -> int:
        return int(self.table["free"].max()) if len(self.table) else 0


def _unique(seq) -> list[str]:
    return list(dict.fromkeys(seq))


def _variable_classes(formulas: tuple[Formula, ...]) -> dict[str, list[str]]:
    lv = _unique(f.lhs for f in formulas if f.op == "=~")
    ind = _unique(f.rhs for f in formulas if f.op == "=~")
    eqs_y = _unique(f.lhs for f in formulas if f.op == "~")
    eqs_x = _unique(f.rhs for f in formulas if f.op == "~")
    ov_ind = [v for v in ind if v not in lv]
    ov_y = [v for v in eqs_y if v not in lv and v not in ov_ind]
    ov_x0 = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y]
    extra = _unique([f.lhs for f in formulas if f.op in ("~~", "~1")]
                    + [f.rhs for f in formulas if f.op == "~~"])
    ov = _unique(ov_ind + ov_y + ov_x0 + [v for v in extra if v not in lv])
    user_vc = {f.lhs for f in formulas if f.op in ("~~", "~1")} | {
        f.rhs for f in formulas if f.op == "~~"}
    ov_x = [v for v in ov_x0 if v not in user_vc]
    lv_x = [v for v in lv if v not in ind and v not in eqs_y]
    pure_y = [v for v in eqs_y if v not in ind and v not in eqs_x]
    return {"lv": lv, "ov": ov, "ov_x": ov_x, "ov_nox": [v for v in ov if v not in ov_x],
            "lv_x": lv_x, "ov_y": [v for v in ov if v in pure_y and v not in lv],
            "lv_y": [v for v in lv if v in pure_y]}


def _key(lhs: str, op: str, rhs: str) -> tuple[str, str, str]:
    if op == "~~":
        a, b = sorted((lhs, rhs))
        return a, op, b
    return lhs, op, rhs


def _user_rows(forms: tuple[Formula, ...]) -> tuple[list[dict], dict[tuple, int]]:
    """Step 2: one row per user formula; duplicated elements are ignored (as lavaan does)."""
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    for f in forms:
        k = _key(f.lhs, f.op, f.rhs)
        if k in seen:  # lavaan: duplicated elements are ignored
            continue
        seen[k] = len(rows)
        rows.append({"lhs": f.lhs, "op": f.op, "rhs": f.rhs, "user": 1, "formula": f})
    return rows, seen


def _add_default_rows(rows: list[dict], seen: dict[tuple, int], vc: dict[str, list[str]],
                      auto: bool, meanstructure: bool) -> None:
    """Step 3: append lavaan's default rows (``user = 0``) not already given by the user."""
    lv, ov = vc["lv"], vc["ov"]
    default: list[tuple[str, str, str]] = [(v, "~~", v) for v in vc["ov_nox"] + lv]
    default += [(a, "~~", b) for a, b in combinations(vc["lv_x"], 2)] if auto else []
    default += [(a, "~~", b) for a, b in combinations(vc["lv_y"] + vc["ov_y"], 2)] if auto else []
    x = vc["ov_x"]
    default += [(x[i], "~~", x[j]) for i in range(len(x)) for j in range(i, len(x))]
    if meanstructure:
        default += [(v, "~1", "") for v in ov + lv]
    for lhs, op, rhs in default:
        k = _key(lhs, op, rhs)
        if k in seen:
            continue
        seen[k] = len(rows)
        rows.append({"lhs": lhs, "op": op, "rhs": rhs, "user": 0, "formula": None})


def _default_fixing(rows: list[dict], forms: tuple[Formula, ...], vc: dict[str, list[str]],
                    auto: bool, int_ov_free: bool) -> tuple[np.ndarray, np.ndarray]:
    """Step 4: lavaan's default free / fixed status; returns ``(free, ustart)``."""
    lv, ov = vc["lv"], vc["ov"]
    free = np.ones(len(rows), dtype=bool)
    ustart = np.full(len(rows), np.nan)
    first_loading: set[int] = set()
    if auto:
        done: set[str] = set()
        for i, r in enumerate(rows):
            if r["op"] == "=~" and r["lhs"] not in done:
                done.add(r["lhs"])
                first_loading.add(i)
    single_ind: set[str] = set()
    if auto:  # auto.fix.single: one-indicator latent -> indicator residual variance fixed 0
        ind_count = pd.Series([f.lhs for f in forms if f.op == "=~"]).value_counts()
        rhs_all = [f.rhs for f in forms if f.op == "=~"]
        for f in forms:
            if f.op == "=~" and ind_count.get(f.lhs, 0) == 1 and rhs_all.count(f.rhs) == 1:
                single_ind.add(f.rhs)
    for i, r in enumerate(rows):
        op, lhs, rhs, user = r["op"], r["lhs"], r["rhs"], r["user"]
        if op == "~~" and lhs == rhs and user == 0 and (not auto or lhs in single_ind):
            free[i], ustart[i] = False, 0.0
        if i in first_loading:
            free[i], ustart[i] = False, 1.0
        if op == "~1" and user == 0 and ((lhs in ov and not int_ov_free) or lhs in lv):
            free[i], ustart[i] = False, 0.0
    return free, ustart


def _apply_modifiers(rows: list[dict], free: np.ndarray, ustart: np.ndarray
                     ) -> tuple[list[str], np.ndarray]:
    """Step 5: user modifiers (``2*x``, ``NA*x``, ``a*x``, ``start(.5)*x``); updates ``free`` /
    ``ustart`` in place and returns ``(labels, starts)``."""
    labels = [""] * len(rows)
    starts = np.full(len(rows), np.nan)
    for i, r in enumerate(rows):
        f: Formula | None = r["formula"]
        if f is None:
            continue
        if f.fixed is not None:
            free[i], ustart[i] = False, f.fixed
        elif f.free:
            free[i], ustart[i] = True, np.nan
        if f.label:
            labels[i] = f.label
        if f.start is not None:
            starts[i] = f.start
    return labels, starts


def _number_free(labels: list[str], free: np.ndarray, ustart: np.ndarray) -> np.ndarray:
    """Step 6: free-parameter numbers (0 = fixed); equality via shared labels (one free parameter
    per label; a label also used on a fixed row fixes every row carrying it)."""
    n = len(labels)
    free_idx = np.zeros(n, dtype=int)
    by_label: dict[str, int] = {}
    fixed_labels = {labels[i]: ustart[i] for i in range(n) if labels[i] and not free[i]}
    k = 0
    for i in range(n):
        lab = labels[i]
        if lab and lab in fixed_labels and free[i]:
            free[i], ustart[i] = False, fixed_labels[lab]
        if not free[i]:
            continue
        if lab and lab in by_label:
            free_idx[i] = by_label[lab]
            continue
        k += 1
        free_idx[i] = k
        if lab:
            by_label[lab] = k
    return free_idx


def build_partable(parsed: ParsedModel, *, mode: str = "sem", meanstructure: bool = True,
                   int_ov_free: bool = True, model: str = "model") -> ParTable:
    """Build the parameter table (lavaan ``lavaanify`` with ``fixed.x = FALSE``)."""
    # 1. mode and variable classes
    if mode not in ("sem", "lavaan"):
        raise ModelError(f"{model}: mode must be 'sem' or 'lavaan', got {mode!r}.")
    auto = mode == "sem"
    forms = parsed.formulas
    vc = _variable_classes(forms)
    # 2.-3. user rows, then default rows
    rows, seen = _user_rows(forms)
    _add_default_rows(rows, seen, vc, auto, meanstructure)
    # 4.-5. default fixings, then user modifiers
    free, ustart = _default_fixing(rows, forms, vc, auto, int_ov_free)
    labels, starts = _apply_modifiers(rows, free, ustart)
    # 6. free-parameter numbers (equality constraints via labels)
    free_idx = _number_free(labels, free, ustart)
    # 7. table; definitions may only use known labels
    table = pd.DataFrame({
        "lhs": [r["lhs"] for r in rows], "op": [r["op"] for r in rows],
        "rhs": [r["rhs"] for r in rows], "user": [r["user"] for r in rows],
        "free": free_idx, "ustart": ustart, "label": labels, "start": starts,
    })
    _check_definitions(parsed.definitions, set(labels) - {""}, model)
    return ParTable(table, vc["ov"], vc["lv"], vc["ov_x"], parsed.definitions)


def _check_definitions(defs: tuple[Definition, ...], labels: set[str], model: str) -> None:
    from pipeline.sem.defined import expression_names

    known = set(labels)
    for d in defs:
        unknown = sorted(expression_names(d.expr, model, d.line) - known)
        if unknown:
            raise ModelError(
                f"{model}: line {d.line}: defined parameter '{d.name} := {d.expr}' uses "
                f"unknown label(s) {unknown}; label the parameters in the model (e.g. 'a*x')."
            )
        if d.name in known:
            raise ModelError(f"{model}: line {d.line}: '{d.name}' is already a label; pick "
                             "another name for the defined parameter.")
        known.add(d.name)
