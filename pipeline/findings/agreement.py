"""Do the sensitivity analyses agree with the primary one? (``agrees_with_primary``)

Each sensitivity row is compared with the primary row of the same claim (same ``finding_id``
before the ``@method`` suffix):

* ``direction_differs`` - the point estimates have opposite signs *and* at least one of the two
  is clear (one method says "up" clearly, the other points down);
* ``clarity_differs`` - same sign, but exactly one of the two is clear (one method calls the
  change clear, the other does not);
* ``yes`` - otherwise (same clear direction, or neither is clear).

"Clear" means an evidence grade of clear, likely or may: the interval excludes 0 (and, for
Holm-adjusted cross-lagged paths, the adjusted p-value is below ``findings.alpha``).

A sensitivity row whose own status is not ``ok`` is left blank (nothing to compare).

Consequence for the primary row: when any sensitivity method's *direction* differs, the primary
row gets caveat ``method_disagrees`` and its grade drops to "may" (GRADE: inconsistency lowers
certainty). A clarity difference alone is reported in the sensitivity row's sentence but does
not change the primary grade (methods that agree in direction but not in precision are the
usual case when one of them uses fewer people).
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.findings.table import num, text
from pipeline.status import Status
from pipeline.wording import (
    ci_excludes_zero,
    direction,
    evidence_grade,
    join_caveats,
    split_caveats,
)

__all__ = ["agreement", "apply_agreement", "claim_id"]


def claim_id(finding_id: str) -> str:
    """``change.qol.T1@mi`` -> ``change.qol.T1``."""
    return finding_id.split("@", 1)[0]


def _clear(row: dict) -> bool:
    """Clear = the row's grade is clear/likely/may (its interval excludes 0 and, for Holm-
    adjusted paths, its adjusted p is below alpha); rows without a grade: the interval."""
    ev = text(row, "evidence")
    if ev:
        return ev in ("clear", "likely", "may")
    return ci_excludes_zero(num(row, "ci_lower"), num(row, "ci_upper"))


def agreement(primary: dict, other: dict) -> str:
    """``yes`` | ``direction_differs`` | ``clarity_differs`` | ``""`` (see module docstring)."""
    if text(other, "status") != Status.OK.value or text(primary, "status") != Status.OK.value:
        return ""
    a, b = num(primary, "estimate"), num(other, "estimate")
    ca, cb = _clear(primary), _clear(other)
    da, db = direction(a), direction(b)
    if "none" not in (da, db) and da != db and (ca or cb):
        return "direction_differs"
    if ca != cb:
        return "clarity_differs"
    return "yes"


def apply_agreement(rows: list[dict], keep: Callable[[dict], bool] = lambda r: True) -> None:
    """Fill ``agrees_with_primary`` of every sensitivity row (``keep`` filters which rows are
    compared, e.g. not the tipping-point row) and add ``method_disagrees`` to primary rows
    whose direction some method contradicts (regrading them). In place."""
    primaries = {r["finding_id"]: r for r in rows if r["role"] == "primary"}
    for r in rows:
        if r["role"] != "sensitivity" or not keep(r):
            continue
        p = primaries.get(r.get("_claim") or claim_id(r["finding_id"]))
        if p is None:
            continue
        r["agrees_with_primary"] = agreement(p, r)
        if r["agrees_with_primary"] == "direction_differs":
            cav = split_caveats(p["caveats"])
            if "method_disagrees" not in cav:
                p["caveats"] = join_caveats([*cav, "method_disagrees"])
                p["evidence"] = evidence_grade(p["estimate"], p["ci_lower"], p["ci_upper"],
                                               p["caveats"], p["status"])
