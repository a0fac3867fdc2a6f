"""Tidy result and status rows of the mediation stage (lavaan vocabulary, docs/design.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.mediation.effects import EffectDef
from pipeline.status import Status, status_row

__all__ = ["TABLE_COLUMNS", "build_table", "empty_table", "status_frame"]

TABLE_COLUMNS = [
    "analysis", "method", "effect_type", "lhs", "op", "rhs", "label", "path", "est", "se",
    "z_or_t", "pvalue", "ci_lower", "ci_upper", "ci_method", "n", "B",
]


def build_table(defs: Sequence[EffectDef], est, se, stat, pvalue, lo, hi, ci_method,
                analysis: str, method: str, n: int, B: int) -> pd.DataFrame:
    """One row per effect definition; array arguments are aligned with ``defs``."""
    size = len(defs)

    def arr(v, dtype=float):
        return np.broadcast_to(np.asarray(v, dtype=dtype), (size,))

    df = pd.DataFrame({
        "analysis": analysis,
        "method": method,
        "effect_type": [d.effect_type for d in defs],
        "lhs": [d.lhs for d in defs],
        "op": [d.op for d in defs],
        "rhs": [d.rhs for d in defs],
        "label": [d.label for d in defs],
        "path": [d.path for d in defs],
        "est": arr(est), "se": arr(se), "z_or_t": arr(stat), "pvalue": arr(pvalue),
        "ci_lower": arr(lo), "ci_upper": arr(hi),
        "ci_method": arr(ci_method, dtype=object),
        "n": int(n), "B": int(B),
    })
    return df[TABLE_COLUMNS]


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})


def status_frame(analysis: str, method: str, status: Status | str,
                 message: str = "") -> pd.DataFrame:
    """The one-row status table of a model (:func:`pipeline.status.status_row`)."""
    return pd.DataFrame([status_row(analysis, method, status, message)])
