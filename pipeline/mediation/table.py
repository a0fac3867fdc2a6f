"""Tidy result and status rows of the mediation stage (lavaan vocabulary, docs/design.md).

Columns beyond lavaan's: ``df`` (t-based intervals: OLS paths, boot-MI), ``ci_level``,
``ci_lower_mcse``/``ci_upper_mcse`` (Monte Carlo SE of each bound of a simulation-based interval:
bootstrap, boot-MI, Monte Carlo; 0 for analytic ones), ``n_contributing`` (people whose data
enter the estimate: complete cases, everyone with any data for FIML, every record for boot MI),
``n_outcome`` (people with the outcome observed), the units and score ranges of X and Y
(:mod:`pipeline.mediation.units`) and ``caveats`` (';'-separated codes of the findings table:
``mar_assumption`` for FIML and MI, ``concurrent_mediators`` when a mediator is measured at the
outcome's wave, ``small_n`` below ``warn_n``). ``B``: the resamples or draws behind the
simulation-based intervals (bootstrap resamples; Monte Carlo draws for FIML, or its bootstrap
resamples with ``fiml.se: bootstrap``, whose ``ci_method`` is then ``percentile``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.mediation.effects import EffectDef
from pipeline.mediation.units import UNIT_COLUMNS
from pipeline.status import Status, status_row

__all__ = ["TABLE_COLUMNS", "CONTEXT_COLUMNS", "build_table", "empty_table", "status_frame"]

TABLE_COLUMNS = [
    "analysis", "method", "effect_type", "lhs", "op", "rhs", "label", "path", "est", "se",
    "z_or_t", "df", "pvalue", "ci_lower", "ci_upper", "ci_level", "ci_method", "ci_lower_mcse",
    "ci_upper_mcse", "n", "B",
]
CONTEXT_COLUMNS = ["n_contributing", "n_outcome", *UNIT_COLUMNS, "caveats"]


def build_table(defs: Sequence[EffectDef], est, se, stat, pvalue, lo, hi, ci_method,
                analysis: str, method: str, n: int, B: int, *, df=np.nan, conf=np.nan,
                mcse_lower=np.nan, mcse_upper=np.nan) -> pd.DataFrame:
    """One row per effect definition; array arguments are aligned with ``defs`` (``df`` and the
    Monte Carlo SEs of the bounds may be scalars)."""
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
        "est": arr(est), "se": arr(se), "z_or_t": arr(stat), "df": arr(df),
        "pvalue": arr(pvalue), "ci_lower": arr(lo), "ci_upper": arr(hi), "ci_level": arr(conf),
        "ci_method": arr(ci_method, dtype=object),
        "ci_lower_mcse": arr(mcse_lower), "ci_upper_mcse": arr(mcse_upper),
        "n": int(n), "B": int(B),
    })
    return df  # built in TABLE_COLUMNS order (no reselection copy)


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS + CONTEXT_COLUMNS})


def status_frame(analysis: str, method: str, status: Status | str,
                 message: str = "") -> pd.DataFrame:
    """The one-row status table of a model (:func:`pipeline.status.status_row`)."""
    return pd.DataFrame([status_row(analysis, method, status, message)])
