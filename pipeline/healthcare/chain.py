"""The data and the effects of one count-outcome mediation chain, shared by the complete-case
fit (:mod:`.mediation`) and the multiple-imputation fit (:mod:`.rubin`).

A chain's frame has the columns ``<x>``, the covariates (numeric, or dummies ``<key>_<level>``
of the non-reference levels), ``<m1>..<mk>`` and ``<y>``; the designs are the mediator
equations (``[1, x, covariates, m1..m_{j-1}]``) and the count equation (``[1, x, covariates,
m1..mk]``). The effects are products of coefficients on the log-rate scale (see
:mod:`.mediation`).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.healthcare.settings import CountChain

__all__ = ["X", "Y", "M", "chain_columns", "raw_frame", "varying", "chain_frame", "chain_paths",
           "path_effects", "designs"]

X, Y = "<x>", "<y>"  # chain columns of the frame (cannot clash with a covariate key)


def M(j: int) -> str:
    """The frame column of mediator ``j`` (1-based)."""
    return f"<m{j}>"


def _values(wide: pd.DataFrame, b) -> pd.Series:
    cols = [c for c in b.source_columns if c not in wide.columns]
    if cols:
        raise DataError(f"the clean wide data has no column(s) {cols} for the count mediation; "
                        "check that the scale is scored at these waves (config 'scales').")
    v = [pd.to_numeric(wide[c], errors="coerce") for c in b.source_columns]
    return v[1] - v[0] if b.change else v[0]


def chain_columns(ch: CountChain, columns) -> list[str]:
    """The wide columns the chain reads (``columns``: those of the wide table, to resolve a
    covariate by its key or its column)."""
    covs = [key if key in columns else column for key, column, _ in ch.covariates]
    return list(dict.fromkeys([*ch.x.source_columns,
                               *(c for m in ch.mediators for c in m.source_columns),
                               ch.y_column, *covs]))


def raw_frame(wide: pd.DataFrame, ch: CountChain) -> pd.DataFrame:
    """Every row of the chain's frame, missing values kept (change scores and dummies derived
    from ``wide``: under MI from each completed set, "impute, then transform")."""
    out = {X: _values(wide, ch.x)}
    for key, column, levels in ch.covariates:
        col = wide[key] if key in wide.columns else wide[column]
        if levels:
            s = col.astype("object")
            for lv in levels[1:]:
                out[f"{key}_{lv}"] = (s.astype(str) == lv).astype(float).where(s.notna())
        else:
            out[key] = pd.to_numeric(col, errors="coerce")
    for j, m in enumerate(ch.mediators, 1):
        out[M(j)] = _values(wide, m)
    out[Y] = pd.to_numeric(wide[ch.y_column], errors="coerce")
    return pd.DataFrame(out, index=wide.index).astype(float)


def varying(frame: pd.DataFrame) -> list[str]:
    """The columns to keep: the chain's own and the covariates that vary (a level nobody has,
    or a constant, cannot be estimated)."""
    return [c for c in frame.columns if c.startswith("<") or frame[c].nunique() > 1]


def chain_frame(wide: pd.DataFrame, ch: CountChain) -> pd.DataFrame:
    """Complete cases of the chain: columns ``<x>``, covariates (numeric, or dummies
    ``<key>_<level>`` of the non-reference levels someone has), ``<m1>..<mk>``, ``<y>``."""
    frame = raw_frame(wide, ch).dropna()
    return frame[varying(frame)]


def chain_paths(k: int) -> list[tuple[int, ...]]:
    """Every path from X to Y through mediators in causal order (1-based): (1,), (2,), (1, 2)."""
    return [p for r in range(1, k + 1) for p in itertools.combinations(range(1, k + 1), r)]


def path_effects(a: list[np.ndarray], t: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Log rate ratios per unit of X, for one set of estimates or a stack of draws.

    ``a[j-1]``: coefficients of mediator j (columns ``[1, x, covariates, m1..m_{j-1}]``, so the
    last ``j-1`` are the earlier mediators); ``t``: outcome coefficients ``[1, x, covariates,
    m1..mk]``. Leading axes are draws.
    """
    def ax(j):  # effect of X on M_j
        return a[j - 1][..., 1]

    def am(j, i):  # effect of M_i on M_j (i < j)
        return a[j - 1][..., a[j - 1].shape[-1] - (j - 1) + (i - 1)]

    def tm(j):
        return t[..., t.shape[-1] - k + (j - 1)]

    out = {"direct": t[..., 1]}
    total = 0.0
    for p in chain_paths(k):
        prod = ax(p[0])
        for prev, nxt in zip(p, p[1:]):
            prod = prod * am(nxt, prev)
        prod = prod * tm(p[-1])
        out["ind_" + "_".join(f"m{j}" for j in p)] = prod
        total = total + prod
    out["total_indirect"] = total
    out["total"] = out["direct"] + total
    return out


def designs(frame: pd.DataFrame, k: int):
    """(mediator designs, count design, the count design's column names) of a chain frame."""
    covs = [c for c in frame.columns if not c.startswith("<")]
    one = np.ones((len(frame), 1))
    base = np.hstack([one, frame[[X, *covs]].to_numpy(float)])
    med = [np.hstack([base, frame[[M(i) for i in range(1, j)]].to_numpy(float)])
           for j in range(1, k + 1)]
    ym = np.hstack([base, frame[[M(i) for i in range(1, k + 1)]].to_numpy(float)])
    return med, ym, ["(Intercept)", X, *covs, *[M(i) for i in range(1, k + 1)]]
