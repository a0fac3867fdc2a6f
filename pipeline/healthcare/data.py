"""From the clean wide table to count data: the check that a count is a count, and long rows.

A count outcome is a one-item scale in the clean data (``gp_visits_T0``, ``gp_visits_T1``, ...):
the cleaner has range-checked the answer, but a range does not make a number whole (a scale
scored as a mean keeps 2.5 if the export held it), so every observed value is checked here to be
a non-negative whole number before any count model sees it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.errors import DataError

__all__ = ["check_count_columns", "count_long", "wave_columns"]


def wave_columns(construct: str, waves: Sequence[str]) -> list[str]:
    """``<construct>_<wave>`` for every wave, in wave order."""
    return [f"{construct}_{w}" for w in waves]


def check_count_columns(wide: pd.DataFrame, construct: str, waves: Sequence[str],
                        label: str) -> None:
    """DataError unless every observed value of the count's wave columns is a whole number
    0, 1, 2, ...; the message names the column and how many rows fail (never ids)."""
    problems = []
    for col in wave_columns(construct, waves):
        if col not in wide.columns:
            raise DataError(f"the clean wide data has no column '{col}' for the count outcome "
                            f"'{construct}': check that scale '{construct}' is scored at every "
                            "wave (config 'scales').")
        v = pd.to_numeric(wide[col], errors="coerce")
        text_bad = wide[col].notna() & v.isna()
        x = v.to_numpy(float)
        bad = text_bad.to_numpy() | (np.isfinite(x) & ((x < 0) | (x != np.round(x))))
        bad |= np.isinf(x)
        if bad.any():
            problems.append(f"column '{col}': {int(bad.sum())} row(s)")
    if problems:
        raise DataError(
            f"the count outcome '{construct}' ({label}) must be a whole number of visits 0, 1, "
            f"2, ... at every wave, but {'; '.join(problems)} hold other values (fractions or "
            "negative numbers). Correct the export, or score the one-item scale so that it "
            "keeps the answer as given (score: sum or mean of its one item), then rerun.")


def count_long(wide: pd.DataFrame, construct: str, waves: Sequence[str],
               id_col: str = "pid") -> pd.DataFrame:
    """One row per person and wave with an observed count: ``pid, wave, y`` (wave order kept)."""
    parts = []
    for w, col in zip(waves, wave_columns(construct, waves)):
        y = pd.to_numeric(wide[col], errors="coerce")
        keep = y.notna()
        parts.append(pd.DataFrame({"pid": wide.loc[keep, id_col].to_numpy(), "wave": w,
                                   "y": y[keep].to_numpy(float)}))
    return pd.concat(parts, ignore_index=True)
