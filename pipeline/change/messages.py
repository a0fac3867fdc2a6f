"""Status messages of the change wing that several of its tables share."""

from __future__ import annotations

__all__ = ["too_few_message"]


def too_few_message(n: int, where: str, min_cell: int,
                    what: str = "change is not estimated") -> str:
    """Status message for a result withheld because fewer than ``min_cell`` people gave it, e.g.
    "too few people answered at T2 (fewer than 10); change is not estimated". The number is not
    said: these messages reach the findings table and the report, where a count below
    ``min_cell`` must not appear (``pipeline.disclosure``); "no one" is said for 0."""
    who = "no one" if int(n) == 0 else "too few people"
    return f"{who} answered {where} (fewer than {min_cell}); {what}"
