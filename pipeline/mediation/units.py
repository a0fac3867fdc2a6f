"""Units of a chain's X and Y for the results table (the findings wing words them).

A score's range is the score's own, not the item range (:func:`pipeline.wording.score_range`:
UCLA-3, 3 items scored 1-3 and summed, runs 3-9). A change score X = later - earlier keeps the
scale's range in ``*_scale_min``/``*_scale_max`` and says "points of change" in its units.
"""

from __future__ import annotations

from pipeline.mediation.spec import Binding, MediationSpec
from pipeline.wording import units_text

__all__ = ["UNIT_COLUMNS", "binding_units", "unit_columns"]

UNIT_COLUMNS = ["x_units", "x_scale_min", "x_scale_max", "y_units", "y_scale_min", "y_scale_max"]


def binding_units(spec: MediationSpec, b: Binding) -> tuple[str, float, float]:
    """``(units text, score min, score max)`` of a chain variable (NaN range if unknown)."""
    lo, hi, score = spec.scale_ranges.get(b.construct, (float("nan"), float("nan"), "mean"))
    label = spec.construct_labels.get(b.construct, b.construct.replace("_", " "))
    unit = f"points of change ({b.change[1]} minus {b.change[0]})" if b.change else "points"
    text = units_text(label, lo, hi, score, unit=unit) if lo == lo else unit
    return text, float(lo), float(hi)


def unit_columns(spec: MediationSpec) -> dict[str, object]:
    """The six unit columns of every row of analysis ``spec``."""
    xu, xlo, xhi = binding_units(spec, spec.x)
    yu, ylo, yhi = binding_units(spec, spec.y)
    return dict(zip(UNIT_COLUMNS, [xu, xlo, xhi, yu, ylo, yhi]))
