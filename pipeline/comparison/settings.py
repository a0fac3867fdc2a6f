"""Settings of the comparison wing: the ONLY reader of the config section ``comparison``.

Types, enums and defaults are in ``settings.schema.yaml`` beside this file; :func:`from_config`
adds the checks that need the rest of the configuration: ``group`` and ``adjust_for`` name
covariates (the group a categorical one with two levels), ``reference`` is one of the group's
levels, ``outcomes`` are scales. The primary missing-data method is read from
``missing_data.primary`` and the FIML auxiliaries, their standard errors and the confidence
level from the change wing's settings (the one allowed cross-wing import), so that the
comparison and the one-group change rest on the same missing-data model. The chains and
cross-lagged analyses fitted by arm (``comparison.mediation`` / ``comparison.crosslag``) are
resolved through the mediation and crosslag wings' settings: the same specs, waves and models
as the single-group analyses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from pipeline.change.settings import from_config as change_settings
from pipeline.config import Config
from pipeline.crosslag.settings import from_config as crosslag_settings
from pipeline.crosslag.settings import inactive as crosslag_inactive
from pipeline.errors import ConfigError, closest_names
from pipeline.mediation.settings import from_config as mediation_settings
from pipeline.mediation.settings import inactive as mediation_inactive
from pipeline.missing_data.settings import from_config as missing_data_settings
from pipeline.missing_data.settings import inactive as missing_data_inactive
from pipeline.plan import switched_off, waits_for_waves
from pipeline.settings import section_settings
from pipeline.status import Status

__all__ = ["SECTION", "CORE_KEYS", "NO_COMPARISON", "ArmPanel", "ComparisonSettings",
           "from_config", "inactive"]

SECTION = "comparison"
CORE_KEYS = ("seed", "waves", "scales", "covariates", "disclosure")
#: the plain reason when a study has no comparison group (findings: "single group, no comparison")
NO_COMPARISON = ("single group, no comparison: the study follows one group over time "
                 "(no comparison.group configured)")


@dataclass(frozen=True)
class ArmPanel:
    """One cross-lagged analysis fitted by arm: its constructs, waves, fitted models (clpm,
    riclpm) and time-invariant covariates (RI-CLPM only), as the crosslag wing fits it."""

    name: str
    constructs: tuple[str, ...]
    waves: tuple[str, ...]
    models: tuple[str, ...]
    covariates: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComparisonSettings:
    """The ``comparison:`` section, validated, with defaults filled and levels resolved."""

    group: str
    reference: str | None  # None: resolved from the data (the first level seen, sorted)
    programme: str | None
    randomised: bool
    adjust_for: tuple[str, ...]
    weighting: str
    outcomes: tuple[str, ...]
    primary: str = "fiml"  # the comparison's primary method (fiml | mi | complete_case)
    primary_note: str = ""  # why it differs from missing_data.primary, when it does
    mi_available: bool = True
    auxiliary: str | tuple[str, ...] = "auto"
    fiml_se: str = "robust"
    conf_level: float = 0.95
    # what the MI rows' imputations depend on: the rule reads them with ancient() and reruns
    # when these change (as the change wing)
    imputation_model: dict = field(default_factory=dict)
    # the mediation chains (MediationSpec, from the mediation wing's settings) and the
    # cross-lagged analyses fitted by arm; the chains' Monte Carlo draws (mediation.fiml)
    chains: tuple = ()
    panels: tuple[ArmPanel, ...] = ()
    mc_draws: int = 20000

    @property
    def adjusted_for(self) -> tuple[str, ...]:
        """The covariates of the primary (and complete-case, MI) regression: none when
        randomised."""
        return () if self.randomised else self.adjust_for

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods of comparison_change.csv, the primary first."""
        order = ["fiml", "mi", "complete_case"] + ([] if self.weighting == "none" else
                                                   ["weighted"])
        order = [m for m in order if m != "mi" or self.mi_available]
        return (self.primary,) + tuple(m for m in order if m != self.primary)


def _levels(cfg: Config, group: str) -> tuple[str, ...] | None:
    cov = cfg.covariates.get(group)
    return tuple(cov.levels) if cov is not None and cov.levels else None


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the comparison does not run (switched off; no group; one arm; one wave), or None."""
    sec = section_settings(cfg.raw, SECTION)
    if not sec["enabled"]:
        return switched_off(SECTION)
    if not sec["group"]:
        return Status.NOT_RUN, NO_COMPARISON
    levels = _levels(cfg, sec["group"])
    if levels is not None and len(levels) < 2:
        return Status.NOT_RUN, (f"single group, no comparison: covariate '{sec['group']}' "
                                f"(comparison.group) has one level ({levels[0]})")
    return waits_for_waves(2, len(cfg.wave_ids), "the comparison is of change from entry")


def _key_problems(sec: dict, cfg: Config) -> list[str]:
    covs, scales, problems = list(cfg.covariates), list(cfg.scales), []

    def unknown(key: str, name: str, valid: list[str], what: str) -> str:
        close = closest_names(name, valid)
        return (f"config key {SECTION}.{key}: '{name}' is not a configured {what}"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f"; use one of: {', '.join(valid) or '(none configured)'}.")

    group = sec["group"]
    if group not in cfg.covariates:
        problems.append(unknown("group", group, covs, "covariate"))
    elif cfg.covariates[group].type == "numeric":
        problems.append(f"config key {SECTION}.group: covariate '{group}' is numeric; the "
                        "group must be a categorical covariate (each participant's arm).")
    else:
        levels = _levels(cfg, group)
        if levels is not None and len(levels) > 2:
            problems.append(f"config key {SECTION}.group: covariate '{group}' has {len(levels)} "
                            f"levels ({', '.join(levels)}); the comparison is of two arms: merge "
                            "levels with covariates.<key>.level_map.")
        ref = sec["reference"]
        if levels is not None and ref is not None and ref not in levels:
            problems.append(f"config key {SECTION}.reference: '{ref}' is not a level of "
                            f"'{group}' ({', '.join(levels)}); name the comparison arm.")
    for a in sec["adjust_for"]:
        if a == group:
            problems.append(f"config key {SECTION}.adjust_for: '{a}' is the group itself; "
                            "remove it.")
        elif a not in cfg.covariates:
            problems.append(unknown("adjust_for", a, covs, "covariate"))
    for o in sec["outcomes"] or []:
        if o not in cfg.scales:
            problems.append(unknown("outcomes", o, scales, "scale"))
    return problems


def _arms(cfg: Config, group: str, reference: str | None) -> tuple[str | None, str | None]:
    levels = _levels(cfg, group)
    if levels is None:
        return reference, None
    ref = reference if reference is not None else levels[0]
    return ref, next(lv for lv in levels if lv != ref)


def _primary(cfg: Config, mi_available: bool) -> tuple[str, str]:
    primary = missing_data_settings(cfg).primary
    if primary == "mi" and not mi_available:
        return "fiml", "multiple imputation does not run (impute stage); FIML stands in"
    if primary == "ipw":
        return "fiml", ("missing_data.primary is ipw (weights for who stayed), which has no "
                        "comparison counterpart; FIML stands in")
    return primary, ""


def _selected(given: list[str] | None, available: list[str], runs: bool, key: str,
              what: str) -> list[str]:
    """The names of ``comparison.<key>``: null = every available one when the wing runs."""
    if given is None:
        return list(available) if runs else []
    bad = [g for g in given if g not in available]
    if bad:
        raise ConfigError(f"config key {SECTION}.{key}: {bad} are not configured {what} "
                          f"({', '.join(available) or 'none'}); name them from there or use "
                          "null (all) / [] (none).")
    return list(given)


def _chains(cfg: Config, given: list[str] | None) -> tuple[tuple, int]:
    """(the chains' specs, the mediation wing's Monte Carlo draws)."""
    runs = mediation_inactive(cfg) is None
    if given == [] or (given is None and not runs):
        return (), 20000
    ms = mediation_settings(cfg)
    names = _selected(given, list(ms.names), runs, "mediation", "mediation.analyses")
    return tuple(a for a in ms.analyses if a.name in names), ms.mc_draws


def _panels(cfg: Config, given: list[str] | None) -> tuple[ArmPanel, ...]:
    runs = crosslag_inactive(cfg) is None
    if given == [] or (given is None and not runs):
        return ()
    cs = crosslag_settings(cfg)
    names = _selected(given, list(cs.analyses), runs, "crosslag", "crosslag.analyses")
    return tuple(ArmPanel(n, cs.analyses[n].constructs, cs.waves, cs.fitted_models(n),
                          cs.analyses[n].covariates)
                 for n in names if cs.fitted_models(n))


def from_config(cfg: Config) -> ComparisonSettings:
    """The comparison settings of ``cfg``; raises ConfigError naming the key and the fix.
    Only called when the wing runs (:func:`inactive` is None): ``group`` is set."""
    sec = section_settings(cfg.raw, SECTION)
    if not sec["group"]:
        raise ConfigError(f"config key {SECTION}.group: no group configured ({NO_COMPARISON}).")
    problems = _key_problems(sec, cfg)
    if problems:
        raise ConfigError("\n  - ".join(problems))
    ch = change_settings(cfg)
    mi_available = missing_data_inactive(cfg) is None
    primary, note = _primary(cfg, mi_available)
    md = missing_data_settings(cfg)
    imputation_model = ({"columns": md.columns, "mice": dataclasses.asdict(md.mice)}
                        if mi_available else {})
    reference, programme = _arms(cfg, sec["group"], sec["reference"])
    chains, mc_draws = _chains(cfg, sec["mediation"])
    return ComparisonSettings(
        group=sec["group"], reference=reference, programme=programme,
        randomised=bool(sec["randomised"]), adjust_for=tuple(sec["adjust_for"]),
        weighting=sec["weighting"], outcomes=tuple(sec["outcomes"] or cfg.scales),
        primary=primary, primary_note=note, mi_available=mi_available,
        auxiliary=ch.auxiliary, fiml_se=ch.fiml_se, conf_level=ch.conf_level,
        imputation_model=imputation_model, chains=chains,
        panels=_panels(cfg, sec["crosslag"]), mc_draws=mc_draws)
