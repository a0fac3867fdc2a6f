"""The result object of :func:`pipeline.sem.fit_sem`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

STATUSES = ("ok", "not_converged", "not_identified", "improper_solution", "failed")
ESTIMATE_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower",
                    "ci_upper", "std_all", "std_all_se"]


@dataclass
class SEMResult:
    """A fitted (or failed) SEM.

    ``status``: ``ok`` | ``not_converged`` | ``not_identified`` | ``improper_solution`` |
    ``failed``. Anything but ``ok`` means the estimates must not be reported as results;
    ``message`` names the model, the problem and what to do.
    """

    name: str
    status: str
    message: str
    estimates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ESTIMATE_COLUMNS))
    fit: dict[str, float] = field(default_factory=dict)
    converged: bool = False
    n_obs: int = 0
    n_dropped: int = 0
    n_patterns: int = 0
    vcov: np.ndarray | None = None
    free_names: list[str] = field(default_factory=list)
    theta: np.ndarray | None = None
    implied: dict[str, np.ndarray] = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    iterations: int = 0
    warnings: list[str] = field(default_factory=list)
    exploratory: bool = False    # set by callers (e.g. crosslag) when results are only indicative
    note: str = ""               # why the result is exploratory, for the report

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def status_row(self) -> dict[str, str]:
        """The design-contract status row (``analysis, status, message``)."""
        return {"analysis": self.name, "status": self.status, "message": self.message}
