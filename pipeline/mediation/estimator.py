"""One interface for the three mediation estimators (complete-case OLS bootstrap, FIML,
bootstrap-then-impute), in the spirit of lifelines' base fitter.

:class:`MediationEstimator` owns what every method shares: the settings common to all
(``seed``, ``conf``, ``min_df``, ``warn_n``), the estimability rule, the tidy table and the status
row, and the translation of problems into statuses (a :class:`~pipeline.errors.DataError` - the
data cannot support the model - is ``not_estimable``; a :class:`~pipeline.errors.ModelError` is
``failed``; either way the table is empty). A method is a small subclass that sets ``method`` and
implements :meth:`MediationEstimator._fit`, which ends with :meth:`MediationEstimator.finish`.

    est = CompleteCaseBootstrap(seed=1, conf=0.95, min_df=10, warn_n=30, B=5000, ci="percentile")
    res = est.fit(wide, spec)      # MediationResult: res.table, res.status (one row), res.ok
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError
from pipeline.mediation.effects import EffectDef
from pipeline.mediation.frame import estimability
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import CONTEXT_COLUMNS, TABLE_COLUMNS, empty_table, status_frame
from pipeline.mediation.units import unit_columns
from pipeline.status import Status

__all__ = ["MediationResult", "MediationEstimator", "job_key", "concurrent_mediators",
           "MAR_METHODS"]

#: methods whose validity rests on missing at random (given the model's variables)
MAR_METHODS = ("fiml", "mi")


def concurrent_mediators(spec: MediationSpec) -> bool:
    """True when a mediator is measured at the outcome's wave (mediator-outcome paths are then
    cross-sectional associations, not effects)."""
    def wave(b) -> str | None:
        return b.change[1] if b.change else b.wave

    return any(wave(m) == wave(spec.y) for m in spec.mediators)


@dataclass
class MediationResult:
    """Tidy table, status row and (optionally) the resampling draws of one analysis."""

    table: pd.DataFrame
    status: pd.DataFrame
    draws: np.ndarray | None = None
    definitions: list[EffectDef] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.status["status"].iloc[0] == Status.OK.value)


def job_key(analysis: str, suffix: str = "") -> str:
    """Seed key of an analysis: ``mediation/<name>`` (+ ``/<suffix>``), for ``seed_for``."""
    return f"mediation/{analysis}" + (f"/{suffix}" if suffix else "")


class MediationEstimator(ABC):
    """Base of the mediation estimators: ``fit(wide, spec) -> MediationResult``.

    ``seed``: the config seed (each method derives its streams with ``seed_for``); ``conf``:
    interval level; an analysis is not estimable when the people available minus the
    coefficients of the outcome equation are fewer than ``min_df``, and flagged as imprecise
    below ``warn_n`` people.
    """

    method: ClassVar[str]

    def __init__(self, *, seed: int, conf: float, min_df: int, warn_n: int) -> None:
        self.seed, self.conf, self.min_df, self.warn_n = seed, conf, min_df, warn_n

    @abstractmethod
    def _fit(self, wide: pd.DataFrame, spec: MediationSpec) -> MediationResult:
        """Estimate one analysis; raise DataError / ModelError when it cannot be done."""

    def fit(self, wide: pd.DataFrame, spec: MediationSpec) -> MediationResult:
        """Estimate ``spec`` on ``wide``: the table and an ``ok`` status row, or an empty table
        and a ``not_estimable`` / ``failed`` status row saying why."""
        try:
            res = self._fit(wide, spec)
        except DataError as exc:
            res = self.not_ok(spec, Status.NOT_ESTIMABLE, str(exc))
        except ModelError as exc:
            res = self.not_ok(spec, Status.FAILED, str(exc))
        return self.with_context(res, wide, spec)

    def caveats(self, spec: MediationSpec, n_contributing: int | None) -> list[str]:
        """Caveat codes (findings-table vocabulary) of this method and analysis."""
        out = ["mar_assumption"] if self.method in MAR_METHODS else []
        if concurrent_mediators(spec):
            out.append("concurrent_mediators")
        if n_contributing is not None and n_contributing < self.warn_n:
            out.append("small_n")
        return out

    def with_context(self, res: MediationResult, wide: pd.DataFrame,
                     spec: MediationSpec) -> MediationResult:
        """Add ``n_contributing``, ``n_outcome``, the units of X and Y and ``caveats`` to every
        row of the table, and ``n_contributing``, ``n_outcome``, ``mar_assumption`` and
        ``caveats`` to the status row."""
        n_outcome = int(wide[list(spec.y.source_columns)].notna().all(axis=1).sum())
        n_contrib = int(res.table["n"].iloc[0]) if len(res.table) else None
        caveats = ";".join(self.caveats(spec, n_contrib))
        extra = {"n_contributing": n_contrib, "n_outcome": n_outcome, **unit_columns(spec),
                 "caveats": caveats}
        if len(res.table):
            res.table = res.table.assign(**extra)[TABLE_COLUMNS + CONTEXT_COLUMNS]
        res.status = res.status.assign(n_contributing=n_contrib, n_outcome=n_outcome,
                                       mar_assumption=self.method in MAR_METHODS,
                                       caveats=caveats)
        return res

    def fit_all(self, wide: pd.DataFrame, specs: Sequence[MediationSpec]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every analysis; the stacked tables and status rows."""
        results = [self.fit(wide, spec) for spec in specs]
        return (pd.concat([r.table for r in results], ignore_index=True),
                pd.concat([r.status for r in results], ignore_index=True))

    def not_ok(self, spec: MediationSpec, status: Status, message: str) -> MediationResult:
        return MediationResult(empty_table(), status_frame(spec.name, self.method, status, message))

    def check_estimable(self, spec: MediationSpec, n: int, n_params: int, unit: str) -> str:
        """The small-sample warning ('' if none); DataError when not estimable
        (:func:`pipeline.mediation.frame.estimability`)."""
        status, message = estimability(n, n_params, self.min_df, self.warn_n, unit=unit)
        if status != Status.OK:
            raise DataError(f"analysis '{spec.name}': {message}")
        return message

    def finish(self, spec: MediationSpec, table: pd.DataFrame, notes: Sequence[str],
               draws: np.ndarray | None = None,
               definitions: Sequence[EffectDef] = ()) -> MediationResult:
        """An ``ok`` result: the table (:func:`pipeline.mediation.table.build_table`) and a status
        row whose message joins the non-empty ``notes``."""
        message = "; ".join(x for x in notes if x)
        return MediationResult(table, status_frame(spec.name, self.method, Status.OK, message),
                               draws, list(definitions))
