"""Read one analysis section of the configuration: validated, with every default filled in.

Each wing owns one config section and describes it in ``pipeline/<wing>/settings.schema.yaml``
(JSON Schema: types, ranges, enums, **defaults** and descriptions). ``pipeline.config`` validates
the whole configuration against the core schema with every wing's schema plugged in, so an unknown
or mistyped key anywhere stops the run at start-up, naming the key and the closest valid one.

A wing's ``settings.py`` is the only code that reads its section, through :func:`section_settings`
here; the defaults live in the schema and nowhere else.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import yaml

from pipeline.registry import WINGS, Wing

__all__ = ["wing_schema", "wing_schemas", "apply_defaults", "section_settings", "section_defaults"]


@cache
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def wing_schema(w: Wing) -> dict[str, Any]:
    """The JSON Schema of wing ``w``'s config section (a fresh copy)."""
    assert w.schema_path is not None, f"wing {w.name} owns no config section"
    return copy.deepcopy(_load(str(w.schema_path)))


def wing_schemas() -> dict[str, dict[str, Any]]:
    """Config section name -> its schema, for every wing that owns a section (fresh copies)."""
    return {w.section: wing_schema(w) for w in WINGS if w.section and w.schema_path.exists()}


@cache
def _section_schema(section: str) -> dict[str, Any]:
    """The schema of config section ``section``, parsed once per process and shared: read only
    (:func:`apply_defaults` copies what it takes from it). A snakemake start reads every wing's
    settings once per study, and copying every schema on each read cost 13 s of a 50-study
    start."""
    for w in WINGS:
        if w.section == section and w.schema_path is not None and w.schema_path.exists():
            return _load(str(w.schema_path))
    raise KeyError(section)


def _is_object_schema(schema: dict[str, Any]) -> bool:
    t = schema.get("type")
    return t == "object" or (isinstance(t, list) and "object" in t and "null" not in t)


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """Return ``value`` with the schema's defaults filled in (recursively; input not modified).

    A missing key takes the ``default`` of its property schema; a missing object-valued key
    without a default becomes ``{}`` filled with its own defaults. Values under
    ``additionalProperties`` (named entries such as mediation analyses) and array items are
    filled the same way.
    """
    value = copy.deepcopy(value)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if key not in value:
                if "default" in sub:
                    value[key] = copy.deepcopy(sub["default"])
                elif _is_object_schema(sub) and sub.get("properties"):
                    value[key] = {}
                else:
                    continue
            value[key] = apply_defaults(sub, value[key])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                if key not in props:
                    value[key] = apply_defaults(extra, value[key])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        value = [apply_defaults(schema["items"], v) for v in value]
    return value


def section_defaults(section: str) -> dict[str, Any]:
    """The section's settings when the config says nothing about it."""
    return apply_defaults(_section_schema(section), {})


def section_settings(raw_config: dict[str, Any], section: str) -> dict[str, Any]:
    """Section ``section`` of a validated raw config, defaults filled in (a fresh dict).

    Only the wing owning ``section`` calls this (from its ``settings.py``).
    """
    given = raw_config.get(section)
    return apply_defaults(_section_schema(section), given if given is not None else {})
