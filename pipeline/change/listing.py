"""Change in a group listing's count of groups (``change.listing_outcomes``; issue 16).

A listing's ``<key>_count`` (the number of group types ticked at each listing wave,
:mod:`pipeline.clean.listings`) is a change outcome like a scale, read from the same columns of
the clean data the moderation and mediation wings read (``<key>_count`` in long.parquet,
``<key>_count_<wave>`` in wide.parquet), but only over the waves the listing was asked at: a
study with waves T0, T1, T2 and a listing at T0 and T1 has change at T1 only, and no row for T2
(not a "too few answered" row: the question was not asked). Every table is built by the same
functions as for the scales (:func:`pipeline.change.analysis.change_tables`,
:func:`pipeline.change.primary.change_primary`, :func:`pipeline.change.sentences.
sentences_table`), one listing count at a time on its own waves, and the stage appends the rows
to the scales' tables.

Auxiliaries: with ``change.auxiliary: auto`` the count's FIML and MI rows condition on every
analysed scale at every wave and every covariate (what ``auto`` means for a scale); the scales'
own estimates do not change (their joint model does not include the count). Reliable change:
a count of ticked group types has no items, so no Cronbach's alpha; its RCI needs a published
test-retest reliability (``change.reliability.<name>``), else the RCI rows say why. Units are
groups ("groups on the 0–8 count of groups listed").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from pipeline.change.analysis import TABLES, change_tables
from pipeline.change.primary import ScaleUnits, change_primary
from pipeline.change.sentences import sentences_table
from pipeline.change.settings import ChangeSettings
from pipeline.config_listings import ListingConstruct
from pipeline.wording import fmt_range, lower_first

__all__ = ["CountUnits", "ListingChange", "NO_ALPHA", "listing_change", "merge_tables"]

#: why a count has no alpha (said in its reliable-change status)
NO_ALPHA = "a count of ticked group types has no items"


@dataclass(frozen=True)
class CountUnits(ScaleUnits):
    """A derived group count's range and units, in groups."""

    @classmethod
    def from_construct(cls, c: ListingConstruct) -> CountUnits:
        return cls(c.label, float(c.low), float(c.high), "count")

    @property
    def units(self) -> str:
        return f"groups on the {fmt_range(self.lo, self.hi)} count of {lower_first(self.label)}"


@dataclass(frozen=True)
class ListingChange:
    """The change tables of every listing count (``tables``: as ``change_tables`` returns,
    with ``rci_individual``), the change_primary rows and wave means, the sentences, and the
    units and labels of each count (for the figures)."""

    tables: dict[str, pd.DataFrame]
    primary: pd.DataFrame
    means: pd.DataFrame
    sentences: pd.DataFrame
    units: dict[str, CountUnits]
    waves: dict[str, tuple[str, ...]]

    def has(self, construct: str, wave: str) -> bool:
        """Whether ``construct`` exists at ``wave`` (a scale: at every wave)."""
        return construct not in self.waves or wave in self.waves[construct]

    def merged(self, tables: dict[str, pd.DataFrame], primary: pd.DataFrame,
               means: pd.DataFrame, units: dict[str, ScaleUnits]) -> tuple:
        """The scales' (tables, change_primary, wave means, units) with the counts' appended
        (unchanged without listing outcomes)."""
        return ({k: merge_tables(t, self.tables.get(k, t[:0])) for k, t in tables.items()},
                merge_tables(primary, self.primary), merge_tables(means, self.means),
                units | self.units)


def _auxiliary(settings: ChangeSettings, scales: Sequence[str], waves: Sequence[str],
               covariates: Mapping[str, str]) -> str | tuple[str, ...]:
    """``auto`` as the explicit columns it means for a construct that is not a scale: every
    analysed scale at every wave and every covariate; ``none`` or a list as configured."""
    if settings.auxiliary != "auto":
        return settings.auxiliary
    return tuple(f"{s}_{w}" for s in scales for w in waves) + tuple(covariates)


def listing_change(long: pd.DataFrame, wide: pd.DataFrame, settings: ChangeSettings,
                   covariates: Mapping[str, str], scales: Sequence[str],
                   wave_labels: Mapping[str, str], min_cell: int,
                   covariate_waves: Mapping[str, str] | None = None, *, imputations=None,
                   weights: pd.DataFrame | None = None,
                   sizes: Mapping[str, float] | None = None) -> ListingChange:
    """Change of every ``settings.listing_outcomes`` count over its own waves (see the module
    docstring). ``scales``: the analysed scales (auxiliaries under ``auto``); ``wave_labels``:
    every wave id -> label, in order; the rest as for the scales (the change stage)."""
    s = replace(settings, auxiliary=_auxiliary(settings, scales, list(wave_labels), covariates))
    parts: list[tuple] = []
    units: dict[str, CountUnits] = {}
    for c in settings.listing_outcomes:
        waves, u = list(c.waves), CountUnits.from_construct(c)
        units[c.name] = u
        tables = change_tables(long, {c.name: None}, waves, covariates, s,
                               reliability={c.name: None}, min_cell=min_cell,
                               covariate_waves=covariate_waves,
                               alpha_problems={c.name: NO_ALPHA})
        primary, means = change_primary(wide, {c.name: u}, waves, covariates, s, tables,
                                        imputations=imputations, weights=weights,
                                        min_cell=min_cell)
        sentences = sentences_table(
            primary[primary["role"] == "primary"], tables["rci_shares"], {c.name: c.label},
            {c.name: (u.lo, u.hi)}, {w: wave_labels[w] for w in waves}, min_cell,
            units={c.name: u.units}, group_sizes=sizes, scores={c.name: "count"})
        parts.append((tables, primary, means, sentences))
    names = (*TABLES, "rci_individual")
    return ListingChange(
        tables={n: _concat([p[0][n] for p in parts]) for n in names},
        primary=_concat([p[1] for p in parts]), means=_concat([p[2] for p in parts]),
        sentences=_concat([p[3] for p in parts]), units=units,
        waves={c.name: c.waves for c in settings.listing_outcomes})


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def merge_tables(scales: pd.DataFrame, listings: pd.DataFrame) -> pd.DataFrame:
    """The scales' rows, then the listing counts' (the scales' table as it was without any)."""
    if listings.empty:
        return scales
    return pd.concat([scales, listings], ignore_index=True)
