"""Shared helpers of the missing-data tests (not a test module)."""

from __future__ import annotations

import pandas as pd


def conclusions_table(conclusions: dict[float, str], status: str = "ok") -> pd.DataFrame:
    """A tipping table from {delta: conclusion}, changes_conclusion set as tipping_point does."""
    t = pd.DataFrame({"delta": list(conclusions), "conclusion": list(conclusions.values())})
    t = t.sort_values("delta", ignore_index=True)
    base = t.loc[t["delta"] == 0, "conclusion"].iloc[0]
    t["changes_conclusion"] = t["conclusion"] != base
    t["status"] = status
    return t
