"""CONSORT-style flow per arm: who entered each arm and who answered at each wave.

One row per arm and wave: ``entered`` (the arm's entrants), ``answered`` (a response at the
wave: ``responded_<wave>`` of the wide data) and ``not_answered``, with the share answered.
The public copy suppresses small counts (:func:`pipeline.disclosure.suppress_counts`, primary
and secondary): a row's answered + not answered = entered, and the two arms' counts of a wave
add up to the whole study's, which the attrition flow publishes, so both are lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.disclosure import suppress_counts

__all__ = ["FLOW_COLUMNS", "arm_flow", "public_flow"]

FLOW_COLUMNS = ["arm", "role", "wave", "wave_label", "entered", "answered", "not_answered",
                "pct_answered"]


def arm_flow(frame: pd.DataFrame, wide_responded: pd.DataFrame, arm: str, names: Mapping[int, str],
             waves: Sequence[str], labels: Mapping[str, str]) -> pd.DataFrame:
    """The flow table; ``wide_responded``: the ``responded_<wave>`` columns aligned with
    ``frame``; ``names``: arm indicator (1 programme, 0 reference) -> the arm's name."""
    rows = []
    for code, role in ((1, "programme"), (0, "reference")):
        inside = frame[arm] == code
        entered = int(inside.sum())
        for w in waves:
            col = f"responded_{w}"
            answered = (int((wide_responded[col].fillna(False).astype(bool) & inside).sum())
                        if col in wide_responded else entered if w == waves[0] else 0)
            rows.append({"arm": names[code], "role": role, "wave": w,
                         "wave_label": labels.get(w, w), "entered": entered,
                         "answered": answered, "not_answered": entered - answered,
                         "pct_answered": 100 * answered / entered if entered else np.nan})
    return pd.DataFrame(rows, columns=FLOW_COLUMNS)


def public_flow(flow: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The funder-facing flow: small counts hidden (with their percentages)."""
    t = flow.reset_index(drop=True)
    t["pct_answered"] = t["pct_answered"].round(0)
    lines = [[(i, "answered"), (i, "not_answered")] for i in t.index]
    for _, idx in t.groupby("wave", sort=False).groups.items():
        lines += [[(i, c) for i in idx] for c in ("answered", "not_answered")]
    first = t.drop_duplicates("arm").index
    lines.append([(i, "entered") for i in first])
    shown = suppress_counts(t, ["entered", "answered", "not_answered"], min_cell,
                            additive="none", lines=lines,
                            pct_columns={"pct_answered": "answered"})
    # an arm's entrants repeat on each of its rows: printed as on its first row everywhere, or
    # a later row would give back a count hidden there (with the study's total, the other arm's)
    shown["entered"] = shown["arm"].map(dict(zip(shown.loc[first, "arm"],
                                                 shown.loc[first, "entered"])))
    return shown
