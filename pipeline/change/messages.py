"""Status messages of the change wing that several of its tables share."""

from __future__ import annotations

__all__ = ["too_few_message"]


def too_few_message(n: int, where: str, min_cell: int,
                    what: str = "change is not estimated") -> str:
    """Status message for a result withheld because fewer than ``min_cell`` people gave it, e.g.
    "only 1 person answered at T2 (fewer than 10); change is not estimated"."""
    n = int(n)
    who = "person" if n == 1 else "people"
    return f"only {n} {who} answered {where} (fewer than {min_cell}); {what}"
