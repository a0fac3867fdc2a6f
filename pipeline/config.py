"""Load and validate the study configuration.

The YAML file is validated against ``pipeline/schemas/config.schema.yaml`` (JSON Schema) and
then against rules a schema cannot express (reverse-keyed items must be items of their scale,
label maps must exist, wave ids unique, ...). Problems are collected and reported together, each
naming the key, the problem and the fix. Other modules take plain arguments, not this object.
"""

from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from pipeline.config_listings import GroupListing, group_listings
from pipeline.config_rules import cross_key_problems
from pipeline.errors import ConfigError, closest_names
from pipeline.instruments import resolve_scales

SCHEMA_PATH = Path(__file__).parent / "schemas" / "config.schema.yaml"


@dataclass(frozen=True)
class Wave:
    id: str
    file: str
    months: float
    label: str = ""
    date_column: str | None = None
    sheet: str | int | None = None
    format: str = "auto"
    event: str | tuple[str, ...] | None = None
    wave_column: str | None = None
    event_column: str | None = None
    date_order: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    repeat_instrument: str | None = None
    instance: int | None = None
    exclude_if: tuple[str, ...] = ()

    @property
    def events(self) -> tuple[str, ...]:
        """The event values forming this wave in a long file (several = arms pooled)."""
        if self.event is None:
            return ()
        return (self.event,) if isinstance(self.event, str) else tuple(self.event)


@dataclass(frozen=True)
class Scale:
    key: str
    items: tuple[str, ...]
    range: tuple[float, float]
    label: str = ""
    reverse: tuple[str, ...] = ()
    label_map: dict[str, float] | None = None
    label_map_name: str | None = None
    missing_codes: tuple[float, ...] = ()
    min_items: int = 1
    score: str = "mean"
    mid: float | None = None
    range_by_wave: dict[str, tuple[float, float]] = field(default_factory=dict)
    instrument: str | None = None
    value_set: str | None = None
    proration: str = "mean"

    @property
    def score_range(self) -> tuple[float, float]:
        """Range of the scale score: the item range for a mean, k times it for a sum, the
        published table's range for a lookup or index score (``pipeline.instruments``)."""
        if self.score in ("lookup", "index") and self.instrument:
            from pipeline.instruments import INSTRUMENTS
            from pipeline.instruments.scoring import table_score_range

            r = table_score_range(INSTRUMENTS[self.instrument], self.score, self.value_set)
            if r is not None:
                return r
        k = len(self.items) if self.score == "sum" else 1
        return (self.range[0] * k, self.range[1] * k)


@dataclass(frozen=True)
class Covariate:
    key: str
    column: str
    type: str
    range: tuple[float, float] | None = None
    levels: tuple[str, ...] | None = None
    wave: str | None = None
    event: str | tuple[str, ...] | None = None
    first_nonempty: bool = False
    level_map: dict[str, str | None] | None = None


@dataclass(frozen=True)
class Config:
    """Typed, read-only view of a validated configuration.

    ``raw`` keeps the config as given; only the wings' ``settings.py`` read their analysis
    section from it (through :func:`pipeline.settings.section_settings`).
    """

    study_id: str
    study_title: str
    seed: int
    id_column: str
    salt: str
    waves: tuple[Wave, ...]
    scales: dict[str, Scale]
    covariates: dict[str, Covariate]
    duplicates: str
    unmatched_followup: str
    min_id_overlap: float
    max_unmatched_share: float
    min_cell: int
    raw: dict[str, Any]
    root: Path
    time_order: str = "refuse"
    min_answered: int = 1
    exclude_if: tuple[str, ...] = ()
    missing_words: tuple[str, ...] = ()
    id_pattern: str | None = None
    group_listings: dict[str, GroupListing] = field(default_factory=dict)

    @property
    def wave_ids(self) -> list[str]:
        return [w.id for w in self.waves]

    def wave(self, wave_id: str) -> Wave:
        for w in self.waves:
            if w.id == wave_id:
                return w
        raise ConfigError(f"wave '{wave_id}' is not in config 'waves' (known: {self.wave_ids})")

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()


@functools.cache
def _core_schema_text() -> dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _core_schema() -> dict[str, Any]:
    """The core schema (a fresh copy; parsed once per process)."""
    return copy.deepcopy(_core_schema_text())


def _schema(with_sections: bool = True) -> dict[str, Any]:
    """The core schema; with every wing's section schema plugged in (``pipeline.settings``)."""
    from pipeline.registry import WINGS
    from pipeline.settings import wing_schemas

    schema = _core_schema()
    sections = wing_schemas() if with_sections else {
        w.section: {"type": "object"} for w in WINGS if w.section}
    schema["properties"].update(sections)
    return schema


@functools.cache
def _validator(with_sections: bool) -> jsonschema.Draft202012Validator:
    """The JSON-Schema validator of the whole config, built once per process (it only reads)."""
    return jsonschema.Draft202012Validator(_schema(with_sections))


def schema_problems(cfg: dict[str, Any], with_sections: bool = True) -> list[tuple[str, str]]:
    """Every JSON-Schema problem as ``(top-level key, message)``, in key order."""
    validator = _validator(with_sections)
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(map(str, e.absolute_path)))
    return [(str(e.absolute_path[0]) if e.absolute_path else "", _format_schema_error(e, {}))
            for e in errors]


def _format_schema_error(err: jsonschema.ValidationError, schema: dict) -> str:
    key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
    if err.validator == "additionalProperties":
        # Name the unknown key and suggest the closest allowed one.
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        hints = []
        for k in extra:
            close = closest_names(k, allowed)
            hints.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        return (
            f"config key {key}: unknown key {', '.join(hints)}. "
            f"Allowed keys here: {', '.join(allowed)}."
        )
    if err.validator == "required":
        return (f"config key {key}: {err.message}. Add it (see config/studies/demo.yaml for an "
                "example).")
    return f"config key {key}: {err.message}."


def validate_dict(cfg: dict[str, Any], with_sections: bool = True) -> list[str]:
    """Return a list of human-readable problems (empty when the config is valid).

    ``with_sections=False`` checks the core study config only (the analysis sections are then
    checked by each wing's settings, see :func:`pipeline.validate.validate_config`).
    """
    problems = [msg for _, msg in schema_problems(cfg, with_sections)]
    if problems:
        return problems
    scales, problems = resolve_scales(cfg["scales"])  # instrument presets filled in
    if problems:
        return problems
    cfg = {**cfg, "scales": scales}
    waves = cfg["waves"]
    ids = [w["id"] for w in waves]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        problems.append(
            f"config key waves: wave id(s) {dup} appear more than once; ids must be unique."
        )
    months = [w["months"] for w in waves]
    if any(b <= a for a, b in zip(months, months[1:])):
        problems.append(
            f"config key waves: 'months' must increase from wave to wave (got {months}); list "
            "waves in time order."
        )
    files = [w["file"] for w in waves
             if not (w.get("event") or w.get("wave_column") or w.get("instance"))]
    dupf = sorted({f for f in files if files.count(f) > 1})
    if dupf:
        problems.append(
            f"config key waves: the same file {dupf} is given for two waves; each wave needs its "
            "own export (or use 'event' to take waves from one long REDCap-style file)."
        )
    label_maps = cfg.get("label_maps") or {}
    all_items: dict[str, str] = {}
    for key, sc in cfg["scales"].items():
        lo, hi = sc["range"]
        if lo >= hi:
            problems.append(
                f"config key scales.{key}.range: lower bound {lo} must be below upper {hi}."
            )
        for r in sc.get("reverse", []):
            if r not in sc["items"]:
                problems.append(
                    f"config key scales.{key}.reverse: '{r}' is not one of the scale's items "
                    f"{sc['items']}."
                )
        lm = sc.get("label_map")
        if lm is not None and lm not in label_maps:
            close = closest_names(lm, list(label_maps))
            problems.append(
                f"config key scales.{key}.label_map: no label map named '{lm}' in 'label_maps'"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + "."
            )
        mi = sc.get("min_items", len(sc["items"]))
        if mi > len(sc["items"]):
            problems.append(
                f"config key scales.{key}.min_items: {mi} is more than the scale's "
                f"{len(sc['items'])} items."
            )
        for it in sc["items"]:
            if it in all_items:
                problems.append(
                    f"config key scales.{key}.items: item '{it}' is also an item of scale "
                    f"'{all_items[it]}'; an item may belong to one scale only."
                )
            all_items[it] = key
    return problems + cross_key_problems(cfg, ids)


def load_config(path: str | Path, root: str | Path | None = None) -> Config:
    """Read, validate and return the configuration at ``path``.

    ``root`` is the directory relative to which data paths are resolved (default: the parent of
    the ``config/`` folder holding the file, i.e. the project root, also for a study file in
    ``config/studies/``).
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found. Copy config/studies/demo.yaml and "
                          "edit it.")
    try:
        with open(path, encoding="utf-8") as fh:
            cfg = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"config file {path} is empty or not a mapping of keys to values.")
    if root is None:
        found = [p.parent for p in path.resolve().parents if p.name == "config"]
        root = found[0] if found else path.resolve().parent.parent
    return config_from_dict(cfg, root=root)


def config_from_dict(cfg: dict[str, Any], root: str | Path = ".",
                     with_sections: bool = True) -> Config:
    """Validate a config dict (e.g. Snakemake's ``config``) and return the typed view."""
    cfg = copy.deepcopy(cfg)
    problems = validate_dict(cfg, with_sections)
    if problems:
        raise ConfigError(
            f"the configuration has {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        )
    from pipeline.settings import apply_defaults

    cfg["scales"] = resolve_scales(cfg["scales"])[0]  # presets filled in, overrides kept
    raw = cfg
    cfg = apply_defaults(_core_schema(), cfg)  # the core defaults live in the schema only
    pseudo = cfg["pseudonymisation"]
    salt = os.environ.get(pseudo["salt_env"]) or pseudo.get("salt")
    if not salt:
        raise ConfigError(
            "config key pseudonymisation: no salt. Set pseudonymisation.salt or the environment "
            f"variable {pseudo['salt_env']}."
        )
    cleaning = cfg["cleaning"]
    return Config(
        study_id=cfg["study"]["id"],
        study_title=cfg["study"].get("title", cfg["study"]["id"]),
        seed=int(cfg["seed"]),
        id_column=cfg["id_column"],
        salt=salt,
        waves=_waves(cfg["waves"]),
        scales=_scales(cfg["scales"], cfg.get("label_maps") or {}),
        covariates=_covariates(cfg.get("covariates") or {}),
        duplicates=cleaning["duplicates"],
        unmatched_followup=cleaning["unmatched_followup"],
        min_id_overlap=float(cleaning["min_id_overlap"]),
        max_unmatched_share=float(cleaning["max_unmatched_share"]),
        min_cell=int(cfg["disclosure"]["min_cell"]),
        time_order=cleaning["time_order"],
        min_answered=int(cleaning["min_answered"]),
        exclude_if=tuple(cleaning["exclude_if"]),
        missing_words=tuple(cleaning["missing_words"]),
        id_pattern=cfg.get("id_pattern"),
        group_listings=group_listings(cfg, [w["id"] for w in cfg["waves"]]),
        raw=raw,
        root=Path(root).resolve(),
    )


def _waves(entries: list[dict[str, Any]]) -> tuple[Wave, ...]:
    return tuple(
        Wave(
            id=w["id"],
            file=w["file"],
            months=float(w["months"]),
            label=w.get("label", w["id"]),
            date_column=w.get("date_column"),
            sheet=w.get("sheet"),
            format=w["format"],
            event=w.get("event") if isinstance(w.get("event"), (str, type(None)))
            else tuple(w["event"]),
            wave_column=w.get("wave_column"),
            event_column=w.get("event_column"),
            date_order=w.get("date_order"),
            column_map=dict(w.get("column_map") or {}),
            repeat_instrument=w.get("repeat_instrument"),
            instance=w.get("instance"),
            exclude_if=tuple(w.get("exclude_if") or ()),
        )
        for w in entries
    )


def _scales(entries: dict[str, Any], label_maps: dict[str, Any]) -> dict[str, Scale]:
    return {
        key: Scale(
            key=key,
            items=tuple(sc["items"]),
            range=(float(sc["range"][0]), float(sc["range"][1])),
            label=sc.get("label", key),
            reverse=tuple(sc.get("reverse", [])),
            label_map=dict(label_maps[sc["label_map"]]) if sc.get("label_map") else None,
            label_map_name=sc.get("label_map"),
            missing_codes=tuple(float(x) for x in sc.get("missing_codes", [])),
            min_items=int(sc.get("min_items", len(sc["items"]))),
            score=sc.get("score", "mean"),
            mid=sc.get("mid"),
            range_by_wave={w: (float(r[0]), float(r[1]))
                           for w, r in (sc.get("range_by_wave") or {}).items()},
            instrument=sc.get("instrument"),
            value_set=sc.get("value_set"),
            proration=sc.get("proration", "mean"),
        )
        for key, sc in entries.items()
    }


def _covariates(entries: dict[str, Any]) -> dict[str, Covariate]:
    return {
        key: Covariate(
            key=key,
            column=c["column"],
            type=c["type"],
            range=tuple(c["range"]) if c.get("range") else None,
            levels=tuple(c["levels"]) if c.get("levels") else None,
            wave=c.get("wave"),
            event=c.get("event") if isinstance(c.get("event"), (str, type(None)))
            else tuple(c["event"]),
            first_nonempty=bool(c.get("first_nonempty", False)),
            level_map=dict(c["level_map"]) if c.get("level_map") is not None else None,
        )
        for key, c in entries.items()
    }
