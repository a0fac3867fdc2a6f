"""The ``moderation`` config section: the only reader of it (start-up check, stage and rule).

Types, ranges and defaults are in ``settings.schema.yaml`` next to this file; here are the checks
that need the rest of the configuration (outcome, predictor and moderator are scales, waves exist
and are in time order, covariates are configured) and the primary method, read from the
``missing_data`` section (:func:`pipeline.missing_data.settings.from_config`): FIML unless
``missing_data.primary`` is ``complete_case``; with ``mi`` or ``ipw`` FIML stands in, and the
status rows say so (the moderation model is not fitted under those methods).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Config
from pipeline.config_listings import listing_constructs
from pipeline.errors import ConfigError, closest_names
from pipeline.missing_data.settings import from_config as missing_data_settings
from pipeline.moderation.anchors import Probe, resolve_probe
from pipeline.plan import switched_off, waits_for_waves
from pipeline.settings import section_settings
from pipeline.status import Status

__all__ = ["SECTION", "CORE_KEYS", "METHODS", "ModerationAnalysis", "ModerationSettings",
           "from_config", "inactive"]

SECTION = "moderation"
CORE_KEYS = ("waves", "scales", "covariates")
#: the methods every analysis is fitted by, in this order
METHODS = ("fiml", "complete_case")


@dataclass(frozen=True)
class ModerationAnalysis:
    """One analysis: ``outcome`` (its ``waves[1]`` score adjusted for its ``waves[0]`` score),
    ``predictor`` (its change over ``waves``; None: no predictor), ``moderator`` at
    ``moderator_wave``, ``covariates`` (keys of config 'covariates'; ``categorical`` maps those
    that are categorical to their configured levels, reference first); ``probe``: where the
    simple slopes are given (:mod:`pipeline.moderation.anchors`)."""

    name: str
    label: str
    outcome: str
    predictor: str | None
    moderator: str
    moderator_wave: str
    waves: tuple[str, str]
    covariates: tuple[str, ...] = ()
    categorical: tuple[tuple[str, tuple[str, ...]], ...] = ()
    probe: Probe = Probe()

    @property
    def columns(self) -> dict[str, str]:
        """Role -> wide.parquet column: y0, y1, (x0, x1), w."""
        w0, w1 = self.waves
        out = {"y0": f"{self.outcome}_{w0}", "y1": f"{self.outcome}_{w1}"}
        if self.predictor:
            out |= {"x0": f"{self.predictor}_{w0}", "x1": f"{self.predictor}_{w1}"}
        out["w"] = f"{self.moderator}_{self.moderator_wave}"
        return out


@dataclass(frozen=True)
class ModerationSettings:
    """Resolved ``moderation`` section. ``primary``: fiml | complete_case (the method flagged
    primary in the tables); ``configured_primary``: ``missing_data.primary`` as configured;
    ``scales``: (key, label, score min, score max, score kind) of the scales the analyses name."""

    conf_level: float
    min_df: int
    primary: str
    configured_primary: str
    analyses: tuple[ModerationAnalysis, ...]
    scales: tuple[tuple[str, str, float, float, str], ...] = ()

    @property
    def stands_in(self) -> str:
        """Why FIML stands in for the configured primary method ('' when it does not)."""
        if self.configured_primary in METHODS:
            return ""
        return (f"missing_data.primary is {self.configured_primary}, which the moderation "
                "models are not fitted by; FIML stands in as the primary method")

    def scale(self, key: str) -> tuple[str, float, float, str]:
        """(label, score min, score max, score kind) of scale ``key``."""
        return next((lab, lo, hi, kind) for k, lab, lo, hi, kind in self.scales if k == key)

    @property
    def figure_stems(self) -> list[str]:
        """``moderation_<analysis>_slopes`` and ``_jn`` for every analysis with a predictor."""
        return [f"moderation_{a.name}_{kind}" for a in self.analyses if a.predictor
                for kind in ("slopes", "jn")]


def _hint(name: str, candidates: list[str]) -> str:
    close = closest_names(name, candidates)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _scale(cfg: Config, key: str, value: str, waves: list[str] | None = None) -> str:
    """``value`` if it is a scale or a group listing's derived count (``group_listings``)
    present at every wave of ``waves``; else a ConfigError naming ``key``."""
    derived = listing_constructs(cfg.group_listings)
    if value not in cfg.scales and value not in derived:
        names = [*cfg.scales, *derived]
        extra = (f" or a group listing's derived count ({', '.join(derived)})" if derived
                 else "")
        what = "a scale or a derived group count" if derived else "a scale"
        raise ConfigError(f"config key {key}: '{value}' is not {what}"
                          f"{_hint(value, names)}; use a key of config 'scales' "
                          f"({', '.join(cfg.scales)}){extra}.")
    if value in derived:
        gone = [w for w in waves or [] if w not in derived[value].waves]
        if gone:
            raise ConfigError(f"config key {key}: the derived count '{value}' exists only at "
                              f"wave(s) {', '.join(derived[value].waves)} (group_listings."
                              f"{derived[value].listing}), not at {', '.join(gone)}; use "
                              f"another wave or the listing's '_count' for change.")
    return value


def _construct_info(cfg: Config, k: str) -> tuple[str, str, float, float, str]:
    """(key, label, score min, score max, score kind) of a scale or derived count."""
    if k in cfg.scales:
        return (k, cfg.scales[k].label or k, *map(float, cfg.scales[k].score_range),
                cfg.scales[k].score)
    c = listing_constructs(cfg.group_listings)[k]
    return (k, c.label, c.low, c.high, c.kind)


def _analysis(cfg: Config, name: str, a: dict) -> ModerationAnalysis:
    key = f"{SECTION}.analyses.{name}"
    waves = list(a["waves"])
    for w in [*waves, a["moderator_wave"] or waves[0]]:
        if w not in cfg.wave_ids:
            raise ConfigError(f"config key {key}: wave '{w}' is not configured"
                              f"{_hint(w, cfg.wave_ids)}; use wave ids from config 'waves' "
                              f"({', '.join(cfg.wave_ids)}).")
    if cfg.wave_ids.index(waves[0]) > cfg.wave_ids.index(waves[1]):
        raise ConfigError(f"config key {key}.waves: {waves} are not in time order; list the "
                          f"earlier wave first (config 'waves': {', '.join(cfg.wave_ids)}).")
    w_wave = a["moderator_wave"] or waves[0]
    roles = {"outcome": _scale(cfg, f"{key}.outcome", a["outcome"], waves),
             "moderator": _scale(cfg, f"{key}.moderator", a["moderator"], [w_wave])}
    predictor = a["predictor"] and _scale(cfg, f"{key}.predictor", a["predictor"], waves)
    if predictor == roles["outcome"] or roles["moderator"] == roles["outcome"]:
        raise ConfigError(f"config key {key}: the outcome '{roles['outcome']}' is also the "
                          "predictor or the moderator; give three different scales.")
    bad = [c for c in a["covariates"] if c not in cfg.covariates]
    if bad:
        raise ConfigError(f"config key {key}.covariates: {bad} are not covariates; use keys of "
                          f"config 'covariates' ({', '.join(cfg.covariates) or 'none'}).")
    categorical = tuple((c, tuple(cfg.covariates[c].levels or ())) for c in a["covariates"]
                        if cfg.covariates[c].type != "numeric")
    return ModerationAnalysis(
        name=name, label=a["label"] or name, outcome=roles["outcome"], predictor=predictor or None,
        moderator=roles["moderator"], moderator_wave=w_wave,
        waves=(waves[0], waves[1]), covariates=tuple(a["covariates"]), categorical=categorical,
        probe=resolve_probe(cfg, key, a.get("probe", "sd"), roles["moderator"],
                            a.get("moderator_statement"),
                            _construct_info(cfg, roles["moderator"])[2:4]))


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the moderation stage does not run (switched off; nothing configured; one wave), or
    None (:mod:`pipeline.plan`)."""
    s = section_settings(cfg.raw, SECTION)
    if not s["enabled"]:
        return switched_off(SECTION)
    if not s["analyses"]:
        return Status.NOT_RUN, ("no moderation analyses configured (moderation.analyses is "
                                "empty); add one there to run it")
    return waits_for_waves(2, len(cfg.wave_ids), "a moderation analysis models change between "
                           "two waves")


def from_config(cfg: Config) -> ModerationSettings:
    """The ``moderation`` section, validated and resolved (ConfigError naming a bad key)."""
    s = section_settings(cfg.raw, SECTION)
    analyses = tuple(_analysis(cfg, name, a) for name, a in s["analyses"].items())
    configured = missing_data_settings(cfg).primary
    used = sorted({k for a in analyses for k in (a.outcome, a.predictor, a.moderator) if k})
    scales = tuple(_construct_info(cfg, k) for k in used)
    return ModerationSettings(
        conf_level=float(s["conf_level"]), min_df=int(s["min_df"]),
        primary="complete_case" if configured == "complete_case" else "fiml",
        configured_primary=configured, analyses=analyses, scales=scales)
