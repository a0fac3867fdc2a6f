"""Units of a chain's X and Y for the results table (the findings wing words them).

A score's range is the score's own, not the item range (:func:`pipeline.wording.score_range`:
UCLA-3, 3 items scored 1-3 and summed, runs 3-9). A change score X = later - earlier keeps the
scale's range in ``*_scale_min``/``*_scale_max`` and says "points of change" in its units.
A derived group count (score kind ``count``, ``group_listings``) is counted in groups: "groups on
the 0–8 count of groups gained", "groups of change (T1 minus T0) on the 0–8 count of groups
listed".
"""

from __future__ import annotations

from pipeline.mediation.spec import Binding, MediationSpec
from pipeline.wording import fmt_range, lower_first, units_text

__all__ = ["UNIT_COLUMNS", "binding_units", "construct_units", "unit_columns"]

UNIT_COLUMNS = ["x_units", "x_scale_min", "x_scale_max", "y_units", "y_scale_min", "y_scale_max"]


def construct_units(label: str, lo: float, hi: float, score: str,
                    change: tuple[str, str] | None = None) -> str:
    """Units of a score (``units_text``) or, for a derived group count (``score == "count"``),
    in groups: "groups on the 0–8 count of groups gained"."""
    word = "groups" if score == "count" else "points"
    unit = f"{word} of change ({change[1]} minus {change[0]})" if change else word
    if lo != lo:  # range unknown
        return unit
    if score == "count":
        return f"{unit} on the {fmt_range(lo, hi)} count of {lower_first(label)}"
    return units_text(label, lo, hi, score, unit=unit)


def binding_units(spec: MediationSpec, b: Binding) -> tuple[str, float, float]:
    """``(units text, score min, score max)`` of a chain variable (NaN range if unknown)."""
    lo, hi, score = spec.scale_ranges.get(b.construct, (float("nan"), float("nan"), "mean"))
    label = spec.construct_labels.get(b.construct, b.construct.replace("_", " "))
    return construct_units(label, lo, hi, score, b.change), float(lo), float(hi)


def unit_columns(spec: MediationSpec) -> dict[str, object]:
    """The six unit columns of every row of analysis ``spec``."""
    xu, xlo, xhi = binding_units(spec, spec.x)
    yu, ylo, yhi = binding_units(spec, spec.y)
    return dict(zip(UNIT_COLUMNS, [xu, xlo, xhi, yu, ylo, yhi]))
