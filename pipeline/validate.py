"""The start-up check: the whole configuration validated once, every problem in one message.

Run by the Snakefile (``rules/common.smk``) before any job starts. The core study config (waves,
scales, covariates, ...) is checked by :mod:`pipeline.config`; each analysis section by its
schema (``pipeline/<wing>/settings.schema.yaml``) and then by its wing's ``settings.from_config``
(cross-checks such as "this construct is a configured scale"), found through
:mod:`pipeline.registry`, for every wing that runs (:mod:`pipeline.plan`): a wing switched off
or waiting for a later wave has its keys checked by its schema but not its cross-checks. A typo
in a mediation chain therefore stops the run in the first second, naming the key, together with
every other problem.

:func:`stage_settings_json` gives each rule its ``params``: exactly what its stage reads from the
config, so a rule reruns when, and only when, that changes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from pipeline.config import Config, config_from_dict, schema_problems
from pipeline.errors import ConfigError
from pipeline.plan import study_plan
from pipeline.registry import WINGS, Wing, settings_module, wing

__all__ = ["validate_config", "validate_analysis_sections", "stage_settings_json"]


def _check_wing(cfg: Config, w: Wing) -> list[str]:
    try:
        settings_module(w).from_config(cfg)
    except ConfigError as exc:
        return [str(exc)]
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return [f"config section {w.section or w.name}: a value has the wrong type or form "
                f"({exc}); compare with config/studies/demo.yaml."]
    return []


def _section_problems(cfg: Config) -> list[str]:
    """Schema problems of the analysis sections (every section, running or not: a typo is a
    typo), then the cross-checks of each schema-clean section whose wing runs. A wing that does
    not run (switched off, or waiting for a wave: :mod:`pipeline.plan`) is not cross-checked,
    so a one-wave study is not refused for settings that name its later waves."""
    sections = {w.section for w in WINGS if w.section}
    by_section: dict[str, list[str]] = {}
    for key, msg in schema_problems(cfg.raw):
        if key in sections:
            by_section.setdefault(key, []).append(msg)
    plan = study_plan(cfg)
    problems: list[str] = []
    for w in WINGS:
        if w.section in by_section:
            problems += by_section[w.section]
        elif plan[w.stage].runs or w.stage == "change":
            problems += _check_wing(cfg, w)  # change: its descriptives run in any case
    return list(dict.fromkeys(problems))  # a shared check (e.g. missing_data) reported once


def _raise(problems: list[str]) -> None:
    if problems:
        raise ConfigError(
            f"the configuration has {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        )


def validate_analysis_sections(cfg: Config) -> None:
    """Raise one ConfigError listing every problem in the analysis sections."""
    _raise(_section_problems(cfg))


def validate_config(raw: dict, root: str | Path) -> Config:
    """Validate the whole configuration; return the typed view or raise one ConfigError.

    The core study config is checked first (the analyses cannot be checked without it); if it
    is usable, every analysis section is checked and all problems are reported together.
    """
    cfg = config_from_dict(raw, root=root, with_sections=False)
    _raise(_section_problems(cfg))
    return cfg


def _jsonable(obj: object) -> object:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def stage_settings_json(cfg: Config, stage: str) -> str:
    """JSON of everything stage ``stage`` reads from the config (its rule's ``params``).

    The wing's resolved settings (``settings.from_config``, defaults filled in) plus the core
    config keys its settings module declares in ``CORE_KEYS``.
    """
    mod = settings_module(wing(stage))
    payload = {"settings": _jsonable(mod.from_config(cfg)),
               "core": {k: cfg.raw.get(k) for k in mod.CORE_KEYS}}
    return json.dumps(payload, sort_keys=True, default=str)
