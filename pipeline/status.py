"""One vocabulary for the outcome of every model and analysis.

Every result the pipeline writes carries a status. Anything but ``ok`` means no estimates are
shown; the message says why in words an evaluator can act on. ``waits_for_data`` and
``not_run`` are not failures: the analysis was not attempted (one wave configured; switched off
in the config), and :mod:`pipeline.plan` gives the reason. Build status rows only through
:func:`status_row` so that every status table has the same columns.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Status", "status_row", "STATUS_COLUMNS"]

STATUS_COLUMNS = ["analysis", "method", "status", "message"]


class Status(str, Enum):
    """Outcome of a model or analysis (the ``status`` column of every status table)."""

    OK = "ok"
    NOT_ESTIMABLE = "not_estimable"  # the data cannot support the model (too few cases, ...)
    NOT_CONVERGED = "not_converged"
    NOT_IDENTIFIED = "not_identified"
    IMPROPER_SOLUTION = "improper_solution"  # e.g. a negative variance (SEM)
    FAILED = "failed"  # any other numerical failure
    # an analysis that did not run at all (see pipeline.plan): not a failure of the data
    WAITS_FOR_DATA = "waits_for_data"  # needs a wave the study has not configured yet
    NOT_RUN = "not_run"  # switched off in the config, or nothing configured to run

    def __str__(self) -> str:  # so f-strings and CSVs show the plain value
        return self.value


def status_row(analysis: str, method: str, status: Status | str, message: str = "",
               **extra: object) -> dict[str, object]:
    """One status record: ``analysis, method, status, message`` plus any extra columns.

    ``status`` must be a :class:`Status` (or its value); an unknown value is a programming error.
    """
    value = Status(status).value
    return {"analysis": analysis, "method": method, "status": value, "message": message, **extra}
