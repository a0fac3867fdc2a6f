"""Fill a configured scale in from its preset: ``scales.<k>.instrument: ucla3``.

Precedence: the preset gives every key; anything written in the scale overrides it (items,
range, reverse, score, min_items, mid, label, ...). Reverse keys follow the items by position:
a study that renames the items keeps the preset's reverse keying without restating it. A
battery (ONS4) becomes one scale per member, ``<k>_<member>``, in place.

What an override may not do is break the scoring the preset's table stands for: a lookup or
index score keeps the preset's item count and response range, a ``proration: none`` score
needs every item, and a value set must be one the preset declares *and* bundles (a declared
but unverified set is refused with its reason). Every problem names the config key.
"""

from __future__ import annotations

from typing import Any

from pipeline.errors import closest_names
from pipeline.instruments.library import BATTERIES, INSTRUMENTS, unknown_name_message
from pipeline.instruments.model import Battery, Instrument

__all__ = ["resolve_scales", "preset_entry"]


def resolve_scales(scales: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The scales with presets filled in (new dicts; the input is not changed) and the
    problems found, each naming its config key. Scales without ``instrument`` pass through,
    checked only for the keys that need one (``score: lookup|index``, ``value_set``)."""
    out: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for key, entry in scales.items():
        name = entry.get("instrument")
        if name is None:
            problems += _plain_problems(key, entry)
            out[key] = dict(entry)
        elif name in BATTERIES:
            members, probs = _expand(key, BATTERIES[name], entry)
            problems += probs
            for k, e in members.items():
                if k in scales or k in out:
                    problems.append(
                        f"config key scales.{key}.instrument: the {name} battery makes the scale "
                        f"'{k}', which is also configured; rename scales.{key}."
                    )
                out[k] = e
        elif name in INSTRUMENTS:
            merged, probs = preset_entry(key, INSTRUMENTS[name], entry)
            problems += probs
            out[key] = merged
        else:
            problems.append(unknown_name_message(name, f"scales.{key}.instrument"))
            out[key] = dict(entry)
    return out, problems


def preset_entry(key: str, inst: Instrument, entry: dict[str, Any]
                 ) -> tuple[dict[str, Any], list[str]]:
    """One scale: the preset's keys, overridden by what the scale writes."""
    where = f"config key scales.{key}"
    problems: list[str] = []
    items = list(entry.get("items", inst.items))
    base: dict[str, Any] = {
        "label": inst.title,
        "items": list(inst.items),
        "range": list(inst.range),
        "score": inst.score,
        "proration": inst.proration,
    }
    if "reverse" not in entry:
        if inst.reverse and len(items) != inst.n_items:
            problems.append(
                f"{where}.items: {len(items)} items given, but {inst.name} has "
                f"{inst.n_items} with reverse keys {list(inst.reverse)}; give "
                f"scales.{key}.reverse for your items."
            )
        base["reverse"] = [it for it, own in zip(items, inst.items) if own in inst.reverse]
    if inst.min_items is not None:
        base["min_items"] = inst.min_items
    if inst.mid is not None:
        base["mid"] = inst.mid.value
    merged = {**base, **entry, "instrument": inst.name}
    if merged["score"] == "index" and inst.default_value_set and "value_set" not in merged:
        merged["value_set"] = inst.default_value_set
    problems += _table_problems(where, inst, merged)
    return merged, problems


def _table_problems(where: str, inst: Instrument, sc: dict[str, Any]) -> list[str]:
    problems = []
    score, n = sc["score"], len(sc["items"])
    if score == "lookup" and not inst.lookup:
        problems.append(f"{where}.score: '{inst.name}' has no conversion table; use mean or sum.")
    if score == "index" and not inst.value_sets:
        problems.append(f"{where}.score: '{inst.name}' has no value set; use mean or sum.")
    if score in ("lookup", "index"):
        if n != inst.n_items:
            problems.append(
                f"{where}.items: the {inst.name} {score} needs exactly {inst.n_items} items "
                f"(got {n}); list the columns in the preset's order."
            )
        if [float(x) for x in sc["range"]] != list(inst.range):
            lo, hi = inst.range
            problems.append(
                f"{where}.range: the {inst.name} {score} is defined for items coded "
                f"{lo:g}-{hi:g}; keep that range and declare other export codes with "
                f"scales.<k>.range_by_wave."
            )
    if "value_set" in sc and score == "index":
        problems += _value_set_problems(where, inst, sc["value_set"])
    elif "value_set" in sc:
        problems.append(f"{where}.value_set: applies to 'score: index' only (score is {score}).")
    problems += _proration_problems(where, sc)
    return problems


def _value_set_problems(where: str, inst: Instrument, name: str) -> list[str]:
    vs = inst.value_set(name)
    names = [v.name for v in inst.value_sets]
    if vs is None:
        close = closest_names(str(name), names)
        return [f"{where}.value_set: '{name}' is not a value set of {inst.name}"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f"; choose one of {names}."]
    if not vs.bundled:
        bundled = [v.name for v in inst.value_sets if v.bundled]
        return [f"{where}.value_set: '{name}' is declared but not bundled: {vs.note}. Bundled: "
                f"{bundled}."]
    return []


def _proration_problems(where: str, sc: dict[str, Any]) -> list[str]:
    n = len(sc.get("items", ()))
    if sc.get("proration", "mean") == "none" and sc.get("min_items", n) < n:
        return [f"{where}.min_items: {sc['min_items']} is below the {n} items, but this score "
                "is not prorated (proration: none); remove min_items or set proration: mean."]
    return []


def _plain_problems(key: str, entry: dict[str, Any]) -> list[str]:
    where = f"config key scales.{key}"
    problems = []
    if entry.get("score") in ("lookup", "index"):
        problems.append(
            f"{where}.score: '{entry['score']}' scores through a published table; name the "
            f"instrument (scales.{key}.instrument, see docs/instruments.md) or use mean or sum."
        )
    if "value_set" in entry:
        problems.append(f"{where}.value_set: a value set needs an instrument "
                        f"(e.g. instrument: eq5d5l).")
    return problems + _proration_problems(where, entry)


def _expand(key: str, battery: Battery, entry: dict[str, Any]
            ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """A battery's members as scales ``<key>_<suffix>``; ``items`` maps by position, ``label``
    prefixes each member's title, every other key applies to each member."""
    problems: list[str] = []
    items = entry.get("items")
    if items is not None and len(items) != len(battery.members):
        problems.append(
            f"config key scales.{key}.items: the {battery.name} battery has "
            f"{len(battery.members)} items ({', '.join(s for s, _ in battery.members)}); list "
            f"one column for each, in that order (got {len(items)})."
        )
        items = None
    shared = {k: v for k, v in entry.items() if k not in ("items", "label", "instrument")}
    out = {}
    for i, (suffix, name) in enumerate(battery.members):
        inst = INSTRUMENTS[name]
        own = dict(shared)
        if items is not None:
            own["items"] = [items[i]]
        if "label" in entry:
            own["label"] = f"{entry['label']}: {inst.title}"
        merged, probs = preset_entry(f"{key}_{suffix}", inst, own)
        out[f"{key}_{suffix}"] = merged
        problems += probs
    return out, problems
