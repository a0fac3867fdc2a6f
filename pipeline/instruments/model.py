"""What an instrument preset declares: the shapes of the library's table (data, no logic).

An :class:`Instrument` is a published questionnaire as a scale of the config would spell it
(items with default column names, the response range and labels, reverse keys, the scoring
rule, how many items a score needs and whether skipped items are prorated) plus what the
literature says about reading its score: published bands or cut-offs, a minimal important
difference (MID) with its reference, the licence, and -- for a score that goes through a
table (SWEMWBS's Rasch conversion, an EQ-5D-5L value set) -- the table, its source and how it
was checked. A :class:`Battery` is a set of single-item instruments reported separately
(ONS4): one ``instrument:`` entry in the config becomes one scale per member.

``verified`` says in words what was checked against what; a table that could not be checked
is not bundled as a default (the brief of issue 16: "where a source cannot be verified here,
say so in the preset and do not make it the default").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Band", "MID", "ValueSet", "Instrument", "Battery", "SCORING_RULES", "PRORATION"]

SCORING_RULES = ("mean", "sum", "lookup", "index")
PRORATION = ("mean", "none")


@dataclass(frozen=True)
class Band:
    """A published band of the score: ``low <= score <= high`` reads as ``label``."""

    label: str
    low: float
    high: float


@dataclass(frozen=True)
class MID:
    """Minimal important difference in score units: ``value`` is the one used for a
    "meaningful change" share; ``low``/``high`` the published range it was taken from."""

    value: float
    reference: str
    low: float | None = None
    high: float | None = None
    note: str = ""


@dataclass(frozen=True)
class ValueSet:
    """An EQ-5D-5L value set: index = ``start`` - sum over dimensions of the decrement of the
    level reported (``decrements[d][level - 1]``, level 1 = no problems = 0).

    ``bundled`` is False for a set that is declared (named, referenced) but whose coefficients
    could not be verified here; choosing it is refused with ``note`` as the reason.
    """

    name: str
    title: str
    reference: str
    verified: str
    bundled: bool
    start: float = 1.0
    decrements: tuple[tuple[float, ...], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Instrument:
    """One preset. ``items`` are the default column names (a study overrides them with
    ``scales.<k>.items``); ``lookup`` maps each raw sum to the published score."""

    name: str
    title: str
    items: tuple[str, ...]
    range: tuple[float, float]
    score: str
    reference: str
    licence: str
    response_labels: tuple[str, ...] = ()
    reverse: tuple[str, ...] = ()
    min_items: int | None = None
    proration: str = "mean"
    proration_note: str = ""
    lookup: tuple[tuple[int, float], ...] = ()
    value_sets: tuple[ValueSet, ...] = ()
    default_value_set: str | None = None
    bands: tuple[Band, ...] = ()
    bands_reference: str = ""
    mid: MID | None = None
    higher_is: str = "better"
    verified: str = ""
    note: str = ""

    @property
    def n_items(self) -> int:
        return len(self.items)

    def value_set(self, name: str) -> ValueSet | None:
        return next((v for v in self.value_sets if v.name == name), None)


@dataclass(frozen=True)
class Battery:
    """Items published together but reported separately: ``members`` are
    ``(key suffix, instrument name)``; ``scales.<k>.instrument: <battery>`` becomes the scales
    ``<k>_<suffix>``."""

    name: str
    title: str
    members: tuple[tuple[str, str], ...]
    reference: str
    licence: str
    note: str = ""
