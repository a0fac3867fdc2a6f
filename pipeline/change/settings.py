"""Settings of the change wing: the ONLY reader of the config section ``change``.

Types, ranges, enums and defaults are in ``settings.schema.yaml`` next to this file (validated at
start-up with the whole configuration); :func:`from_config` adds the checks that need the rest of
the configuration (the scales named under ``higher_is_better`` and ``reliability`` exist).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.config import Config
from pipeline.errors import ConfigError, closest_names
from pipeline.settings import section_settings

__all__ = ["SECTION", "CORE_KEYS", "ChangeSettings", "from_config"]

SECTION = "change"
# core config the change stage reads: wave labels and months, scale labels, ranges and MIDs,
# covariates and their types/source waves, disclosure.min_cell
CORE_KEYS = ("waves", "scales", "covariates", "disclosure")


@dataclass(frozen=True)
class ChangeSettings:
    """The ``change:`` section, validated and with defaults filled (see the schema)."""

    time: str
    p_adjust: str
    reml: bool
    optimizers: tuple[str, ...]
    covariate_weights: str
    conf_level: float
    rci_criterion: float
    higher_is_better: dict[str, bool] = field(default_factory=dict)
    reliability: dict[str, float] = field(default_factory=dict)

    def is_higher_better(self, scale: str) -> bool:
        """Whether higher scores of ``scale`` are better (true unless configured otherwise)."""
        return self.higher_is_better.get(scale, True)


def _check_scales(sec: dict, scales: list[str]) -> list[str]:
    problems = []
    for key in ("higher_is_better", "reliability"):
        for s in sec[key]:
            if s not in scales:
                close = closest_names(s, scales)
                problems.append(
                    f"config key {SECTION}.{key}.{s}: '{s}' is not a configured scale"
                    + (f" (did you mean '{close[0]}'?)" if close else "")
                    + f"; use one of the keys under 'scales': {', '.join(scales)}."
                )
    return problems


def from_config(cfg: Config) -> ChangeSettings:
    """The change settings of ``cfg``; raises ConfigError naming the key and the fix."""
    sec = section_settings(cfg.raw, SECTION)
    problems = _check_scales(sec, list(cfg.scales))
    if problems:
        raise ConfigError("\n  - ".join(problems))
    return ChangeSettings(
        time=sec["time"],
        p_adjust=sec["p_adjust"],
        reml=sec["reml"],
        optimizers=tuple(sec["optimizers"]),
        covariate_weights=sec["covariate_weights"],
        conf_level=float(sec["conf_level"]),
        rci_criterion=float(sec["rci_criterion"]),
        higher_is_better=dict(sec["higher_is_better"]),
        reliability={k: float(v) for k, v in sec["reliability"].items()},
    )
