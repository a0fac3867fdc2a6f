"""Realised-data checks for the README: cleaned items and Cronbach's alpha, computed with the
pipeline's own code (no second cleaner, no second alpha).

* Cleaning: :func:`pipeline.clean.values.clean_item` with the demo's scales (labels mapped
  ignoring case and white space, out-of-range and -99 set missing, ``ss4`` reverse keyed as
  ``lo + hi - x``), i.e. what the clean stage does to the item cells.
* Alpha: :func:`pipeline.stats.reliability.cronbach_alpha` (Cronbach 1951; ``psych::alpha``)
  on complete cases, as the README table states.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.clean.values import clean_item
from pipeline.config import Scale
from pipeline.demo.layout import (
    AGREE7,
    LIKERT7_ITEMS,
    REVERSE_ITEMS,
    SCALE_ITEMS,
    SCALE_RANGE,
    UCLA3,
    UCLA_ITEMS,
)
from pipeline.stats.reliability import cronbach_alpha

__all__ = ["demo_scales", "clean_items", "complete_case_alpha"]


def _label_map(items: tuple[str, ...]) -> dict[str, float] | None:
    if set(items) <= set(LIKERT7_ITEMS):
        return {lab: float(i + 1) for i, lab in enumerate(AGREE7)}
    if set(items) <= set(UCLA_ITEMS):
        return {lab: float(i + 1) for i, lab in enumerate(UCLA3)}
    return None


def demo_scales() -> dict[str, Scale]:
    """The demo's scales as the pipeline's :class:`~pipeline.config.Scale` (items, range,
    reverse keying, label map), matching ``config/config.yaml``."""
    return {
        key: Scale(
            key=key,
            items=items,
            range=SCALE_RANGE[key],
            reverse=tuple(it for it in items if it in REVERSE_ITEMS),
            label_map=_label_map(items),
        )
        for key, items in SCALE_ITEMS.items()
    }


def clean_items(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric, in-range, reverse-keyed item answers of one raw wave frame (float, NaN missing)."""
    out = pd.DataFrame(index=frame.index)
    for sc in demo_scales().values():
        for col in sc.items:
            values, _issue, _parsed = clean_item(frame[col], sc)
            out[col] = values
    return out


def complete_case_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha on the rows answering every item (listwise deletion)."""
    return float(cronbach_alpha(items.dropna())["alpha"])


def realised_table(frames: dict[str, pd.DataFrame]) -> list[tuple[str, list[float], list[float]]]:
    """Per scale: (scale, alpha per wave (NaN for one-item scales), mean item score per wave)."""
    cleaned = {w: clean_items(f) for w, f in frames.items()}
    rows = []
    for scale, cols in SCALE_ITEMS.items():
        alphas, means = [], []
        for it in cleaned.values():
            x = it[list(cols)]
            alphas.append(np.nan if len(cols) == 1 else complete_case_alpha(x))
            means.append(float(x.mean(axis=1).mean()))
        rows.append((scale, alphas, means))
    return rows
