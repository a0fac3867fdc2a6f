"""The report's inputs as plain data: tables (DataFrames), JSON summaries, lavaan syntax texts
and figure paths, gathered by the stage from the rule's declared inputs.

A missing input (a stage that wrote nothing, or a table without rows) is ``None``/empty here
and becomes a "not estimable because ..." paragraph in the section that needed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["ReportInputs", "WaveInfo", "FINDINGS_COLUMNS"]

FINDINGS_COLUMNS = (
    "finding_id kind role question estimand analysis construct wave term method estimate se "
    "ci_lower ci_upper ci_level ci_label pvalue n_contributing n_observed units scale_min "
    "scale_max effect_size effect_size_kind evidence caveats agrees_with_primary status message "
    "sentence headline"
).split()


@dataclass(frozen=True)
class WaveInfo:
    """One configured wave with the dates its responses span (None when no dates)."""

    id: str
    label: str
    months: float
    first: str | None = None
    last: str | None = None


@dataclass
class ReportInputs:
    """Everything the builders read. ``tables`` maps a rule output name (``change_means``) to
    its DataFrame; ``summaries`` a JSON output name to its dict; ``models`` a lavaan file stem to
    its syntax; ``figures`` a figure stem to its SVG path."""

    findings: pd.DataFrame
    waves: tuple[WaveInfo, ...]
    scales: dict
    min_cell: int
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summaries: dict[str, dict] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    figures: dict[str, Path] = field(default_factory=dict)
    software: tuple[tuple[str, str], ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    """Labels of constructs that are not scales (a group listing's derived counts, e.g.
    ``group_list_gained`` -> "Groups gained"), for :meth:`scale_label`."""
    covariates: tuple[str, ...] = ()
    """The study's covariate keys (``age``, ``gender``): a model's design names of a
    categorical one (``gender_female``) are read back to its key."""

    def table(self, name: str) -> pd.DataFrame | None:
        """The table ``name``, or None when absent or without rows."""
        t = self.tables.get(name)
        return None if t is None or t.empty else t

    def figure(self, stem: str) -> Path | None:
        p = self.figures.get(stem)
        return p if p is not None and p.exists() else None

    def wave_label(self, wave: str) -> str:
        for w in self.waves:
            if w.id == wave:
                return w.label or w.id
        return str(wave)

    def scale_label(self, key: str) -> str:
        s = self.scales.get(key)
        if s is None:
            return self.labels.get(str(key), str(key))
        return getattr(s, "label", "") or key

    def findings_of(self, kind: str, role: str | None = "primary") -> pd.DataFrame:
        f = self.findings[self.findings["kind"] == kind]
        return f if role is None else f[f["role"] == role]
