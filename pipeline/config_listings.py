"""The core config key ``group_listings``: "which groups do you belong to?" asked as a
multi-select at entry and again at follow-up, from which the clean stage derives groups
maintained, gained and lost (:mod:`pipeline.clean.listings`).

A listing is given one of two ways (types in ``schemas/config.schema.yaml``):

* ``columns``: one column per group type (a checkbox export: 1 / blank, 1 / 0, yes / no);
  ``none_column`` optionally names the "none of these" box;
* ``column`` + ``options``: one text cell holding the ticked group types separated by
  ``delimiter`` (default ``;``), matched to ``options`` ignoring case and surrounding space;
  ``none_values`` are the answers that mean "none of these".

``waves`` (default every wave): the waves that asked it, entry first. The derived constructs
are ``<key>_count`` (groups listed at each wave) and, at each later listing wave,
``<key>_maintained``, ``<key>_gained`` and ``<key>_lost`` (vs the first listing wave); their
names must not be a scale's or covariate's. This module validates and resolves the key; the
rules that need other keys (waves, scale names) are :func:`listing_problems`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["GroupListing", "ListingConstruct", "DERIVED", "SELECTED", "NOT_SELECTED",
           "NONE_VALUES", "group_listings", "listing_constructs", "listing_problems"]

#: the derived constructs of a listing, ``<key>_<suffix>``
DERIVED = ("count", "maintained", "gained", "lost")
#: indicator answers read as ticked / not ticked (matched as :func:`pipeline.text.code_key`)
SELECTED = ("1", "yes", "true", "checked", "selected", "ticked", "x")
NOT_SELECTED = ("0", "no", "false", "unchecked", "not selected", "not ticked")
#: text-form answers meaning "none of these"
NONE_VALUES = ("none", "none of these", "none of the above")


@dataclass(frozen=True)
class GroupListing:
    """One resolved ``group_listings.<key>`` entry (defaults filled)."""

    key: str
    label: str
    waves: tuple[str, ...]
    columns: tuple[str, ...] = ()
    none_column: str | None = None
    column: str | None = None
    options: tuple[str, ...] = ()
    delimiter: str = ";"
    none_values: tuple[str, ...] = NONE_VALUES
    selected: tuple[str, ...] = SELECTED
    not_selected: tuple[str, ...] = NOT_SELECTED

    @property
    def group_types(self) -> tuple[str, ...]:
        """The group types listed: the indicator columns, or the text form's options."""
        return self.columns or self.options

    @property
    def raw_columns(self) -> tuple[str, ...]:
        """The export columns the listing reads."""
        if self.column:
            return (self.column,)
        return self.columns + ((self.none_column,) if self.none_column else ())

    @property
    def derived(self) -> tuple[str, ...]:
        """``<key>_count``, ``<key>_maintained``, ``<key>_gained``, ``<key>_lost``."""
        return tuple(f"{self.key}_{d}" for d in DERIVED)


#: words of each derived construct (its label when the study has one listing)
DERIVED_LABELS = {"count": "Groups listed", "maintained": "Groups maintained",
                  "gained": "Groups gained", "lost": "Groups lost"}


@dataclass(frozen=True)
class ListingConstruct:
    """A derived count usable as a construct by the analyses (a moderator, a mediation x or
    mediator, a change outcome): ``name`` (``<key>_<suffix>``, its wide columns
    ``<name>_<wave>``), ``label``, the ``waves`` it exists at (``count`` at every listing wave;
    maintained / gained / lost at the later ones, vs entry), its possible range ``0`` to the
    number of group types, and the listing it comes from."""

    name: str
    label: str
    waves: tuple[str, ...]
    low: float
    high: float
    listing: str
    kind: str = "count"

    @property
    def score_range(self) -> tuple[float, float]:
        return (self.low, self.high)


def listing_constructs(listings: dict[str, GroupListing]) -> dict[str, ListingConstruct]:
    """Every listing's derived counts as constructs, by name (empty without listings)."""
    out = {}
    for lst in listings.values():
        for suffix, name in zip(DERIVED, lst.derived):
            words = DERIVED_LABELS[suffix]
            label = words if len(listings) == 1 else f"{words}: {lst.label.lower()}"
            waves = lst.waves if suffix == "count" else lst.waves[1:]
            out[name] = ListingConstruct(name, label, tuple(waves), 0.0,
                                         float(len(lst.group_types)), lst.key)
    return out


def group_listings(cfg: dict[str, Any], wave_ids: list[str]) -> dict[str, GroupListing]:
    """The ``group_listings`` key of a schema-valid config, resolved (empty when absent)."""
    out = {}
    for key, e in (cfg.get("group_listings") or {}).items():
        out[key] = GroupListing(
            key=key, label=e.get("label") or key.replace("_", " ").capitalize(),
            waves=tuple(e.get("waves") or wave_ids), columns=tuple(e.get("columns") or ()),
            none_column=e.get("none_column"), column=e.get("column"),
            options=tuple(e.get("options") or ()), delimiter=e.get("delimiter", ";"),
            none_values=tuple(e.get("none_values", NONE_VALUES)),
            selected=tuple(str(v) for v in e.get("selected", SELECTED)),
            not_selected=tuple(str(v) for v in e.get("not_selected", NOT_SELECTED)))
    return out


def listing_problems(cfg: dict[str, Any], ids: list[str]) -> list[str]:
    """Rules a schema cannot say: one form per listing, waves that exist (in time order, at
    least two), derived names free, and no column shared with a scale item."""
    problems = []
    taken = {**{k: "scale" for k in cfg["scales"]},
             **{k: "covariate" for k in cfg.get("covariates") or {}}}
    items = {it: k for k, sc in cfg["scales"].items() for it in sc.get("items", [])}
    for key, lst in group_listings(cfg, ids).items():
        where = f"config key group_listings.{key}"
        if bool(lst.columns) == bool(lst.column):
            problems.append(f"{where}: give either 'columns' (one 0/1 column per group type) "
                            "or 'column' with 'options' (one text cell of ticked groups).")
        if lst.column and not lst.options:
            problems.append(f"{where}.options: the text form needs the group types it may "
                            "list (options: [...]).")
        unknown = [w for w in lst.waves if w not in ids]
        if unknown:
            problems.append(f"{where}.waves: {unknown} not among the configured waves {ids}.")
        elif len(lst.waves) < 2 or [ids.index(w) for w in lst.waves] != sorted(
                ids.index(w) for w in lst.waves):
            problems.append(f"{where}.waves: give at least two waves in time order (entry "
                            f"first); got {list(lst.waves)}.")
        for name in lst.derived:
            if name in taken:
                problems.append(f"{where}: the derived construct '{name}' is also a "
                                f"{taken[name]} key; rename the listing or the {taken[name]}.")
        for c in lst.raw_columns:
            if c in items:
                problems.append(f"{where}: column '{c}' is an item of scale '{items[c]}'; a "
                                "listing reads its own columns.")
    return problems
