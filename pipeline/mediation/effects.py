"""Effects of a serial-mediation model from its path coefficients (Hayes 2022, model 6).

With k ordered mediators there are 2^k - 1 specific indirect effects, one per ordered subset of
mediators; each is the product of the coefficients along its path (e.g. a1*d21*b2 for
X -> M1 -> M2 -> Y). Also: total indirect = sum of the specific effects, direct c', total
c = c' + total indirect (the OLS identity), pairwise contrasts (differences) of the specific
effects, and completely standardised indirect effects = effect * SD_X / SD_Y (PROCESS ``effsize``;
Hayes 2022, sec. 3.5). Paths are listed in PROCESS order: by first mediator, then length.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np

from pipeline.mediation.ols import Coefs, Layout
from pipeline.sem.chain_syntax import path_label, path_product, serial_paths


@dataclass(frozen=True)
class EffectDef:
    """One row of the results table (lavaan vocabulary)."""

    # a, d, b, direct, total, covariate, indirect_specific, indirect_total, contrast, std_indirect
    effect_type: str
    lhs: str
    op: str
    rhs: str
    label: str
    path: str


def effect_definitions(names: tuple[str, ...] | list[str], layout: Layout) -> list[EffectDef]:
    """Rows in the order of :func:`effect_values`; ``names`` = design names (X, C, M1..Mk, Y)."""
    k, nc = layout.k, layout.n_cov
    x, covs, meds, y = names[0], names[1:1 + nc], names[1 + nc:1 + nc + k], names[-1]
    rows = [EffectDef("a", meds[j], "~", x, f"a{j + 1}", f"{x} -> {meds[j]}") for j in range(k)]
    rows += [
        EffectDef("d", meds[j], "~", meds[i], f"d{j + 1}{i + 1}", f"{meds[i]} -> {meds[j]}")
        for j in range(k) for i in range(j)
    ]
    rows += [EffectDef("b", y, "~", meds[j], f"b{j + 1}", f"{meds[j]} -> {y}") for j in range(k)]
    rows.append(EffectDef("direct", y, "~", x, "cp", f"{x} -> {y}"))
    rows.append(EffectDef("total", "total", ":=", "cp+ind_total", "total", f"{x} -> {y} (total)"))
    rows += [
        EffectDef("covariate", meds[j], "~", c, "", f"{c} -> {meds[j]}")
        for j in range(k) for c in covs
    ]
    rows += [EffectDef("covariate", y, "~", c, "", f"{c} -> {y}") for c in covs]
    paths = serial_paths(k)

    def chain(p: tuple[int, ...]) -> str:
        return " -> ".join([x, *(meds[i] for i in p), y])

    rows += [
        EffectDef("indirect_specific", path_label(p), ":=", path_product(p), path_label(p),
                  chain(p))
        for p in paths
    ]
    total_rhs = "+".join(path_label(p) for p in paths)
    rows.append(EffectDef("indirect_total", "ind_total", ":=", total_rhs, "ind_total",
                          f"{x} -> ... -> {y} (all indirect)"))
    for p1, p2 in combinations(paths, 2):
        lab = "con_" + path_label(p1)[4:] + "_" + path_label(p2)[4:]
        rows.append(EffectDef("contrast", lab, ":=", f"{path_label(p1)}-{path_label(p2)}", lab,
                              f"{chain(p1)} vs. {chain(p2)}"))
    for p in paths:
        lab = "std_" + path_label(p)
        rows.append(EffectDef("std_indirect", lab, ":=", f"{path_label(p)}*sd({x})/sd({y})", lab,
                              chain(p)))
    rows.append(EffectDef("std_indirect", "std_ind_total", ":=", f"ind_total*sd({x})/sd({y})",
                          "std_ind_total", f"{x} -> ... -> {y} (all indirect)"))
    return rows


def effect_values(coefs: Coefs, layout: Layout) -> np.ndarray:
    """All effects as a ``(..., n_effects)`` array, in the order of :func:`effect_definitions`."""
    k = layout.k
    cols = [coefs.a[..., j] for j in range(k)]
    cols += [coefs.d[..., j, i] for j in range(k) for i in range(j)]
    cols += [coefs.b[..., j] for j in range(k)]
    paths = serial_paths(k)
    ind = []
    for p in paths:
        e = coefs.a[..., p[0]]
        for i, j in pairwise(p):
            e = e * coefs.d[..., j, i]
        ind.append(e * coefs.b[..., p[-1]])
    ind_total = np.sum(ind, axis=0)
    cols.append(coefs.cp)
    cols.append(coefs.cp + ind_total)
    cols += [coefs.cov_m[..., j, c] for j in range(k) for c in range(layout.n_cov)]
    cols += [coefs.cov_y[..., c] for c in range(layout.n_cov)]
    cols += ind
    cols.append(ind_total)
    cols += [ind[i1] - ind[i2] for i1, i2 in combinations(range(len(paths)), 2)]
    ratio = coefs.sd_x / coefs.sd_y
    cols += [e * ratio for e in ind]
    cols.append(ind_total * ratio)
    return np.stack(cols, axis=-1)
