"""Validate every analysis section of the configuration at start-up.

The JSON Schema checks the data part of the config; each analysis stage owns the rules of its
own section (``attrition``, ``change``, ``missing_data``, ``mediation``, ``crosslag``). Running
all of those parsers here, before any job starts, means a typo in a mediation chain stops the run
in the first second with a message naming the key, not after ingest and cleaning.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from types import ModuleType

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.registry import WINGS, Wing, settings_module, wing

PRIMARY_METHODS = ("fiml", "mi", "complete_case", "ipw")


def _int_keys(section: dict, name: str, keys: tuple[str, ...]) -> list[str]:
    problems = []
    for k in keys:
        v = section.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            problems.append(f"config key {name}.{k}: {v!r} must be a whole number >= 0.")
    return problems


def _collect(parse: Callable[[], object], name: str) -> list[str]:
    """Run one section parser; its problem (if any) as a list."""
    try:
        parse()
    except ConfigError as exc:
        return [str(exc)]
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return [f"config section {name}: a value has the wrong type or form ({exc}); compare "
                f"with the {name} section of config/config.yaml."]
    return []


def _missing_data(cfg: Config) -> list[str]:
    from pipeline.stats.mice import settings_from_config

    section = cfg.section("missing_data")
    problems = []
    primary = section.pop("primary", "fiml")
    if primary not in PRIMARY_METHODS:
        problems.append(f"config key missing_data.primary: '{primary}' is not one of "
                        f"{', '.join(PRIMARY_METHODS)}.")
    sens = section.pop("sensitivity", None) or {}
    section.pop("columns", None)
    settings_from_config(section)
    unknown = sorted(set(sens) - {"outcome", "wave", "units", "deltas", "mode"})
    if unknown:
        problems.append(f"config key missing_data.sensitivity: unknown key(s) {unknown}; allowed: "
                        "outcome, wave, units, deltas, mode.")
    if sens.get("outcome", "qol") not in cfg.scales:
        problems.append(f"config key missing_data.sensitivity.outcome: '{sens.get('outcome')}' "
                        f"is not a scale ({', '.join(cfg.scales)}).")
    if "wave" in sens and sens["wave"] not in cfg.wave_ids[1:]:
        problems.append(f"config key missing_data.sensitivity.wave: '{sens['wave']}' is not a "
                        f"follow-up wave ({', '.join(cfg.wave_ids[1:])}).")
    if sens.get("mode", "post") not in ("post", "chain"):
        problems.append("config key missing_data.sensitivity.mode: use post or chain.")
    return problems


def _mediation(cfg: Config) -> list[str]:
    from pipeline.mediation import bootstrap_settings, mi_settings, specs_from_config

    section = cfg.section("mediation")
    problems = _int_keys(section, "mediation", ("min_df", "warn_n"))
    for parse in (lambda: specs_from_config(cfg), lambda: bootstrap_settings(section),
                  lambda: mi_settings(section)):
        problems += _collect(parse, "mediation")
    methods = section.get("methods", ["fiml", "mi", "complete_case"])
    bad = [m for m in methods if m not in ("fiml", "mi", "complete_case")]
    if bad:
        problems.append(f"config key mediation.methods: {bad} - use fiml, mi and/or complete_case.")
    draws = (section.get("fiml") or {}).get("mc_draws", 20000)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1000:
        problems.append("config key mediation.fiml.mc_draws: a whole number >= 1000 (e.g. 20000).")
    return problems


def _crosslag(cfg: Config) -> list[str]:
    from pipeline.crosslag.stage import crosslag_settings

    section = cfg.section("crosslag")
    problems = _int_keys(section, "crosslag", ("exploratory_min_df", "exploratory_min_n_last_wave"))
    problems += _collect(lambda: crosslag_settings(cfg), "crosslag")
    if section.get("se", "standard") not in ("standard", "robust"):
        problems.append("config key crosslag.se: use standard or robust.")
    if section.get("information") not in (None, "observed", "expected"):
        problems.append("config key crosslag.information: use observed, expected or null.")
    return problems


def _change(cfg: Config) -> list[str]:
    from pipeline.change.analysis import change_settings

    change_settings(cfg.section("change"), list(cfg.scales))
    return []


def _attrition(cfg: Config) -> list[str]:
    from pipeline.attrition.analysis import attrition_settings

    attrition_settings(cfg.section("attrition"))
    return []


LEGACY_CHECKS: dict[str, Callable[[Config], list[str]]] = {
    "change": _change,
    "attrition": _attrition,
    "missing_data": _missing_data,
    "mediation": _mediation,
    "crosslag": _crosslag,
}
# Transitional: the config sections each stage read before its wing had a settings.py.
LEGACY_KEYS: dict[str, tuple[str, ...]] = {
    "clean": ("id_column", "waves", "scales", "covariates", "label_maps", "cleaning",
              "pseudonymisation"),
    "change": ("waves", "scales", "covariates", "change", "disclosure"),
    "attrition": ("waves", "scales", "covariates", "attrition", "disclosure"),
    "missing_data": ("seed", "waves", "scales", "covariates", "missing_data"),
    "mediation": ("seed", "waves", "scales", "covariates", "mediation", "missing_data"),
    "crosslag": ("waves", "scales", "covariates", "crosslag"),
}


def _settings_module(w: Wing) -> ModuleType | None:
    """The wing's settings module, or None while it has none (transitional)."""
    try:
        return settings_module(w)
    except ModuleNotFoundError as exc:
        if exc.name == f"pipeline.{w.name}.settings":
            return None
        raise


def _check_wing(cfg: Config, w: Wing) -> list[str]:
    mod = _settings_module(w)
    if mod is None:
        legacy = LEGACY_CHECKS.get(w.name)
        return legacy(cfg) if legacy else []
    mod.from_config(cfg)
    return []


def _jsonable(obj: object) -> object:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def stage_settings_json(cfg: Config, stage: str) -> str:
    """JSON of everything stage ``stage`` reads from the config (its Snakemake params).

    The wing's resolved settings (``settings.from_config``, defaults filled in) plus the core
    config keys its settings module declares in ``CORE_KEYS``.
    """
    w = wing(stage)
    mod = _settings_module(w)
    if mod is None:
        return json.dumps({k: cfg.raw.get(k) for k in LEGACY_KEYS[w.name]}, sort_keys=True,
                          default=str)
    payload = {"settings": _jsonable(mod.from_config(cfg)),
               "core": {k: cfg.raw.get(k) for k in mod.CORE_KEYS}}
    return json.dumps(payload, sort_keys=True, default=str)


def validate_analysis_sections(cfg: Config) -> None:
    """Raise one ConfigError listing every problem in the analysis sections."""
    problems: list[str] = []
    for w in WINGS:
        try:
            problems += _check_wing(cfg, w)
        except ConfigError as exc:
            problems.append(str(exc))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(f"config section {w.section or w.name}: a value has the wrong type or "
                            f"form ({exc}); compare with config/config.yaml.")
    if problems:
        raise ConfigError(
            f"the analysis settings have {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        )
