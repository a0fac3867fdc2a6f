"""The ``attrition:`` config section: the only reader of it (start-up check and stage).

Keys, types and defaults: ``settings.schema.yaml`` next to this file. Here the section is
resolved against the study config: ``null`` lists become the documented defaults (covariates
and scale scores), and every listed variable must be a column the clean stage writes to the
wide data (a covariate key or ``<scale>_<wave>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.plan import switched_off, waits_for_waves
from pipeline.settings import section_settings
from pipeline.status import Status

__all__ = ["SECTION", "CORE_KEYS", "AttritionSettings", "from_config", "inactive"]

SECTION = "attrition"
CORE_KEYS = ("waves", "scales", "covariates", "disclosure")


@dataclass(frozen=True)
class AttritionSettings:
    """Resolved attrition settings (see ``settings.schema.yaml`` for each key)."""

    predictors: tuple[str, ...]
    categorical: tuple[str, ...]
    notable_smd: float
    firth_on_separation: bool
    mcar_variables: tuple[str, ...]
    ipw_stabilised: bool
    ipw_truncate: tuple[float, float] | None
    ipw_sequential: bool = True


def _wide_columns(cfg: Config) -> list[str]:
    return list(cfg.covariates) + [f"{s}_{w}" for w in cfg.wave_ids for s in cfg.scales]


def _check_names(key: str, names: list[str], cfg: Config) -> None:
    known = _wide_columns(cfg)
    bad = [v for v in names if v not in known]
    if bad:
        raise ConfigError(
            f"config key attrition.{key}: {bad} not found among the covariates and scale scores "
            f"of the wide data ({', '.join(known)}). Use a covariate key or <scale>_<wave>, or "
            "null for the default."
        )


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the attrition stage does not run (switched off; one wave), or None (pipeline.plan)."""
    if not section_settings(cfg.raw, SECTION)["enabled"]:
        return switched_off(SECTION)
    return waits_for_waves(2, len(cfg.wave_ids), "attrition compares the people who answered a "
                           "follow-up wave with those who did not")


def from_config(cfg: Config) -> AttritionSettings:
    """The validated ``attrition`` section with defaults filled in and resolved against ``cfg``.

    ConfigError (naming the key) for a variable that is not in the wide data or a truncation
    interval whose lower quantile is not below the upper one.
    """
    s = section_settings(cfg.raw, SECTION)
    base = cfg.wave_ids[0]
    for key in ("predictors", "categorical", "mcar_variables"):
        _check_names(key, s[key] or [], cfg)
    predictors = s["predictors"] or (list(cfg.covariates) + [f"{k}_{base}" for k in cfg.scales])
    categorical = s["categorical"]
    if categorical is None:
        categorical = [k for k, c in cfg.covariates.items() if c.type == "categorical"]
    mcar = s["mcar_variables"] or (
        [k for k, c in cfg.covariates.items() if c.type == "numeric"]
        + [f"{k}_{w}" for w in cfg.wave_ids for k in cfg.scales]
    )
    truncate = s["ipw"]["truncate"]
    if truncate is not None and not truncate[0] < truncate[1]:
        raise ConfigError(
            f"config key attrition.ipw.truncate: {truncate!r} must be [lower, upper] quantiles "
            "with lower < upper (e.g. [0.01, 0.99]), or null for no truncation."
        )
    return AttritionSettings(
        predictors=tuple(predictors),
        categorical=tuple(categorical),
        notable_smd=s["notable_smd"],
        firth_on_separation=bool(s["firth_on_separation"]),
        mcar_variables=tuple(mcar),
        ipw_stabilised=bool(s["ipw"]["stabilised"]),
        ipw_truncate=None if truncate is None else (float(truncate[0]), float(truncate[1])),
        ipw_sequential=bool(s["ipw"].get("sequential", True)),
    )
