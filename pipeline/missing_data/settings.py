"""The ``missing_data`` config section: the only reader of it.

Types, ranges and defaults live in ``settings.schema.yaml`` next to this file; here the section
(validated, defaults filled) becomes :class:`MissingDataSettings`, with the checks that need the
rest of the configuration (the sensitivity outcome is a scale, its wave a follow-up wave) and the
defaults derived from it (the mediation analyses' shared outcome, else none; the second wave).
Both the start-up check and the ``impute`` stage call :func:`from_config`; other wings may call
it for ``primary`` and the MICE settings (e.g. mediation's bootstrap-then-impute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.config import Config
from pipeline.errors import ConfigError, closest_names
from pipeline.plan import switched_off, waits_for_waves
from pipeline.registry import wing
from pipeline.settings import section_settings, wing_schema
from pipeline.stats.mice import MiceSettings
from pipeline.status import Status

__all__ = ["SECTION", "CORE_KEYS", "PRIMARY_METHODS", "SensitivitySettings",
           "MissingDataSettings", "from_config", "delta_grid", "inactive"]

SECTION = "missing_data"
CORE_KEYS = ("seed", "waves", "scales", "covariates", "disclosure")
#: the values of ``missing_data.primary`` (read from the schema's enum).
PRIMARY_METHODS: tuple[str, ...] = tuple(
    wing_schema(wing("missing_data"))["properties"]["primary"]["enum"])


@dataclass(frozen=True)
class SensitivitySettings:
    """The delta-adjusted tipping-point analysis of the primary estimand.

    Estimand: mean change in scale ``outcome`` from the first wave ``baseline_wave`` to
    ``wave``. ``outcome`` is None when none is configured and none can be derived from the
    study's own config (``skip_reason`` says why; the stage then writes status rows instead of
    estimates). ``wave`` is None only when the study has a single wave and none was configured
    (the wing then waits for a second wave). ``deltas``: the grid of shifts, expanded.
    """

    outcome: str | None
    baseline_wave: str
    wave: str | None
    units: str
    deltas: tuple[float, ...]
    mode: str
    fragile_sd: float = 0.2
    skip_reason: str = ""

    @property
    def runs(self) -> bool:
        """Whether the primary estimand (and so its tipping point) is defined."""
        return self.outcome is not None and self.wave is not None


@dataclass(frozen=True)
class MissingDataSettings:
    """Resolved ``missing_data`` section.

    ``primary``: fiml | mi | complete_case | ipw (the method reported first); ``fiml_se``:
    robust | standard (SEs of the FIML estimate).
    ``columns``: the configured imputation columns, or None for the default inclusive list
    (every covariate and scale x wave). ``mice``: the sampler's settings.
    """

    primary: str
    columns: tuple[str, ...] | None
    mice: MiceSettings
    sensitivity: SensitivitySettings
    fiml_se: str = "robust"


def delta_grid(spec: dict[str, float] | list[float]) -> tuple[float, ...]:
    """The shifts of ``deltas``: ``{from, to, step}`` (``to`` included) or an explicit list."""
    if isinstance(spec, dict):
        lo, hi, step = float(spec["from"]), float(spec["to"]), float(spec["step"])
        return tuple(float(x) for x in np.round(np.arange(lo, hi + step / 2, step), 10))
    return tuple(float(x) for x in spec)


def _hint(name: str, candidates: list[str]) -> str:
    close = closest_names(name, candidates)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _derived_outcome(cfg: Config) -> tuple[str | None, str]:
    """The primary outcome when ``sensitivity.outcome`` is null: the one outcome (y) of the
    mediation analyses, if they share one; else None and the reason. Never a scale name baked
    into the code, and never the order of keys (stages read the config with sorted keys)."""
    # imported here: the mediation settings import this module (for ``primary``)
    from pipeline.mediation.settings import outcome_constructs

    ys = sorted(set(outcome_constructs(cfg)))
    if len(ys) == 1:
        return ys[0], ""
    why = ("the mediation analyses name different outcomes (" + ", ".join(ys) + ")" if ys
           else "no mediation analysis names an outcome")
    return None, (f"no primary outcome: missing_data.sensitivity.outcome is not set and {why}; "
                  "name the scale whose change is the primary estimand there")


def _sensitivity(cfg: Config, sens: dict[str, Any]) -> SensitivitySettings:
    scales, followups = list(cfg.scales), list(cfg.wave_ids[1:])
    outcome, skip = sens["outcome"], ""
    off = inactive(cfg)
    if off is not None:  # not checked against waves the study does not have (yet)
        return SensitivitySettings(outcome=None, baseline_wave=cfg.wave_ids[0], wave=None,
                                   units=sens["units"], deltas=delta_grid(sens["deltas"]),
                                   mode=sens["mode"], fragile_sd=float(sens["fragile_sd"]),
                                   skip_reason=off[1])
    if outcome is None:
        outcome, skip = _derived_outcome(cfg)
    if outcome is not None and outcome not in cfg.scales:
        raise ConfigError(
            f"config key missing_data.sensitivity.outcome: '{outcome}' is not a scale"
            f"{_hint(outcome, scales)}; use one of {', '.join(scales)}."
        )
    wave = sens["wave"]
    if wave is None:
        wave = followups[0] if followups else None
    elif wave not in followups:
        raise ConfigError(
            f"config key missing_data.sensitivity.wave: '{wave}' is not a follow-up wave"
            f"{_hint(wave, followups)}; use one of {', '.join(followups) or '(none: add a wave)'}."
        )
    deltas = delta_grid(sens["deltas"])
    if isinstance(sens["deltas"], dict) and not deltas:
        raise ConfigError("config key missing_data.sensitivity.deltas: 'from' must not be above "
                          "'to'.")
    return SensitivitySettings(outcome=outcome, baseline_wave=cfg.wave_ids[0], wave=wave,
                               units=sens["units"], deltas=deltas, mode=sens["mode"],
                               fragile_sd=float(sens["fragile_sd"]), skip_reason=skip)


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the impute stage does not run (switched off; one wave), or None (see pipeline.plan).
    ``primary`` is read by other wings either way."""
    if not section_settings(cfg.raw, SECTION)["enabled"]:
        return switched_off(SECTION)
    return waits_for_waves(2, len(cfg.wave_ids), "multiple imputation and the primary estimand "
                           "concern answers missing at a follow-up wave")


def from_config(cfg: Config) -> MissingDataSettings:
    """The ``missing_data`` section of ``cfg`` as settings (ConfigError naming a bad key)."""
    s = section_settings(cfg.raw, SECTION)
    if s["m_max"] < s["m_min"]:
        raise ConfigError(f"config key missing_data.m_max: {s['m_max']} must be >= m_min "
                          f"({s['m_min']}).")
    preds = s["predictors"]
    mice = MiceSettings(
        method=s["method"], m=None if s["m"] == "auto" else s["m"], m_min=s["m_min"],
        m_max=s["m_max"], iterations=s["iterations"], donors=s["donors"],
        ridge=float(s["ridge"]),
        predictors=None if preds is None else {k: tuple(v) for k, v in preds.items()},
    )
    columns = tuple(s["columns"]) if s["columns"] else None
    return MissingDataSettings(primary=s["primary"], columns=columns, mice=mice,
                               sensitivity=_sensitivity(cfg, s["sensitivity"]),
                               fiml_se=s["fiml_se"])


def sampler_section(cfg: Config) -> dict:
    """The validated ``missing_data`` section with its defaults, for the chain jobs
    (``chains.py``): the sampler's keys and ``chain_blocks``, read here so that this module
    stays the only reader of the section."""
    return dict(section_settings(cfg.raw, SECTION))
