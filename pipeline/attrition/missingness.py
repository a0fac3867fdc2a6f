"""How much of each measure is missing, per wave, among responders and among all who joined."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.attrition.flow import pct, responded
from pipeline.errors import DataError

__all__ = ["missingness_table"]


def _wide_column(wide: pd.DataFrame, var: str, wave: str, first: bool) -> str | None:
    if f"{var}_{wave}" in wide.columns:
        return f"{var}_{wave}"
    if first and var in wide.columns:  # baseline covariate (no wave suffix)
        return var
    return None


def _values(data: pd.DataFrame, v: str, w: str, first: bool, is_long: bool) -> pd.Series | None:
    """Values of ``v`` among the responders at wave ``w``; None if not measured then."""
    if is_long:
        return data.loc[data["wave"] == w, v] if v in data.columns else None
    col = _wide_column(data, v, w, first=first)
    if col is None:
        return None
    resp = responded(data, w) if not first else pd.Series(True, index=data.index)
    return data.loc[resp, col]


def missingness_table(
    data: pd.DataFrame, variables: Sequence[str], wave_ids: Sequence[str]
) -> pd.DataFrame:
    """n and % missing per variable per wave, among responders and among all baseline people.

    ``data`` is wide (``<var>_<wave>`` columns, ``responded_<wave>``; covariates without suffix
    count as baseline) or long (``pid``, ``wave`` columns, one row per responder-wave).
    Columns: ``variable, wave, n_responders, n_missing, pct_missing`` (among responders),
    ``n_baseline, n_missing_baseline, pct_missing_baseline`` (non-responders count as missing).
    A variable not measured at a wave has no row for it; one found at no wave raises DataError.
    """
    is_long = "wave" in data.columns and "pid" in data.columns
    n0 = data.loc[data["wave"] == wave_ids[0], "pid"].nunique() if is_long else len(data)
    rows = []
    for v in variables:
        found = False
        for i, w in enumerate(wave_ids):
            vals = _values(data, v, w, i == 0, is_long)
            if vals is None:
                if is_long:
                    break
                continue
            found = True
            n_r, miss = len(vals), int(vals.isna().sum())
            rows.append({
                "variable": v, "wave": w, "n_responders": n_r, "n_missing": miss,
                "pct_missing": pct(miss, n_r), "n_baseline": n0,
                "n_missing_baseline": n0 - (n_r - miss),
                "pct_missing_baseline": pct(n0 - (n_r - miss), n0),
            })
        if not found:
            raise DataError(
                f"missingness: variable '{v}' was not found at any wave {list(wave_ids)}. "
                "Check the scale/covariate name in config."
            )
    return pd.DataFrame(rows)
