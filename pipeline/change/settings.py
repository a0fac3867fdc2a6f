"""Settings of the change wing: the ONLY reader of the config section ``change``.

Types, ranges, enums and defaults are in ``settings.schema.yaml`` next to this file (validated at
start-up with the whole configuration); :func:`from_config` adds the checks that need the rest of
the configuration (the scales named under ``higher_is_better`` and ``reliability`` exist, the
``auxiliary`` columns are wide-data columns). Constructs named in ``healthcare.outcomes`` are
counts: read through the healthcare wing's settings, they are left out of the change analysis
(``count_constructs``), which says so in its status table. The primary missing-data method is
read from ``missing_data.primary`` through that wing's settings (a wing may import another
wing's settings).

Group listings' derived counts (``group_listings``;
:func:`pipeline.config_listings.listing_constructs`) named in ``change.listing_outcomes`` are
analysed as change outcomes over the waves each exists at (``<key>_count``: the number of groups
listed at each listing wave). One that exists at a single wave (``<key>_gained`` / ``_maintained``
/ ``_lost``: already counted against entry) has no change to estimate: a ConfigError naming the
key says so and points to the count.

Direction of "improved": ``higher_is_better`` holds, per scale, the explicit
``change.higher_is_better.<k>`` when the study wrote one, else the instrument preset's direction
(``scales.<k>.instrument``; UCLA-3, ULS-8 and ONS anxiety: lower is better), read through the
clean wing's settings (:func:`pipeline.clean.settings.preset_higher_is_better`); a scale with
neither is absent and reads as higher-is-better (:meth:`ChangeSettings.is_higher_better`).
Without the preset default, a study writing ``instrument: ucla3`` would get "reliably improved"
for people whose loneliness rose.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from pipeline.attrition.settings import inactive as attrition_inactive
from pipeline.clean.settings import preset_higher_is_better
from pipeline.config import Config
from pipeline.config_listings import ListingConstruct, listing_constructs
from pipeline.errors import ConfigError, closest_names
from pipeline.healthcare.settings import count_constructs
from pipeline.missing_data.settings import from_config as missing_data_settings
from pipeline.missing_data.settings import inactive as missing_data_inactive
from pipeline.plan import switched_off, waits_for_waves
from pipeline.settings import section_settings
from pipeline.status import Status

__all__ = ["SECTION", "CORE_KEYS", "ChangeSettings", "from_config", "inactive",
           "resolved_directions"]

SECTION = "change"
# core config the change stage reads: wave labels and months, scale labels, ranges and MIDs,
# covariates and their types/source waves, disclosure.min_cell
CORE_KEYS = ("seed", "waves", "scales", "covariates", "disclosure")  # seed: of the imputations


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
    primary: str = "fiml"  # missing_data.primary
    methods: tuple[str, ...] = ("fiml", "mi", "ipw", "lmm", "complete_case")
    auxiliary: str | tuple[str, ...] = "auto"  # "auto" | "none" | wide columns
    fiml_se: str = "robust"
    funder_effect_size: str = "d"
    # What the imputations read by the MI rows depend on (missing_data columns and sampler).
    # The rule reads the imputations with ancient(): it reruns when these change, not when the
    # impute stage merely rewrites the same imputations (e.g. after a new tipping-point grid).
    imputation_model: dict = field(default_factory=dict)
    # True when the change analysis does not run (switched off, or one wave: see inactive());
    # the stage then writes only the baseline descriptives, which need no follow-up wave.
    descriptives_only: bool = False
    # constructs named in healthcare.outcomes: counts, analysed by the healthcare wing and
    # skipped here (a count is not a linear score); one not_run status row each says so
    count_constructs: tuple[str, ...] = ()
    # group listings' derived counts analysed as change outcomes (change.listing_outcomes), each
    # over the waves it exists at (pipeline.change.listing)
    listing_outcomes: tuple[ListingConstruct, ...] = ()

    def figure_constructs(self, scales: dict) -> list[str]:
        """The constructs with a change figure: the analysed scales, then the listing counts."""
        return [*self.analysed_scales(scales), *(c.name for c in self.listing_outcomes)]

    def analysed_scales(self, scales: dict) -> dict:
        """``scales`` without the count constructs (config order kept)."""
        return {k: v for k, v in scales.items() if k not in self.count_constructs}

    @property
    def change_methods(self) -> tuple[str, ...]:
        """The methods of change_primary.csv: the primary first, then the configured others."""
        return (self.primary,) + tuple(m for m in self.methods if m != self.primary)

    def is_higher_better(self, scale: str) -> bool:
        """Whether higher scores of ``scale`` are better: the config's or the preset's direction
        (see the module docstring); true for a scale with neither."""
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


def _listing_outcomes(sec: dict, cfg: Config) -> tuple[tuple[ListingConstruct, ...], list[str]]:
    """The derived counts named in ``change.listing_outcomes``, and the problems: a name that is
    not a derived count, or one that exists at a single wave (no change to estimate)."""
    derived, out, problems = listing_constructs(cfg.group_listings), [], []
    where = f"config key {SECTION}.listing_outcomes"
    for name in sec["listing_outcomes"]:
        c = derived.get(name)
        if c is None:
            close = closest_names(name, list(derived))
            problems.append(
                f"{where}: '{name}' is not a group listing's derived count"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + (f"; use one of {', '.join(derived)}." if derived else
                   "; no group_listings are configured (add one under 'group_listings')."))
        elif len(c.waves) < 2:
            problems.append(
                f"{where}: '{name}' exists only at wave(s) {', '.join(c.waves)} (group_listings."
                f"{c.listing}): it is already counted against entry, so it has no change over "
                f"waves to estimate; for change in the number of groups use '{c.listing}_count' "
                "(the groups listed at each listing wave).")
        else:
            out.append(c)
    return tuple(out), problems


def wide_columns(cfg: Config) -> list[str]:
    """Columns of wide.parquet an auxiliary list may name: covariates and scale x wave."""
    return list(cfg.covariates) + [f"{s}_{w}" for s in cfg.scales for w in cfg.wave_ids]


def _check_auxiliary(sec: dict, cfg: Config) -> list[str]:
    aux = sec["auxiliary"]
    if isinstance(aux, str):
        return []
    valid = wide_columns(cfg)
    return [
        f"config key {SECTION}.auxiliary: '{a}' is not a column of the wide data"
        + (f" (did you mean '{closest_names(a, valid)[0]}'?)" if closest_names(a, valid) else "")
        + "; use covariate keys or <scale>_<wave> columns, or auto / none."
        for a in aux if a not in valid
    ]


def resolved_directions(cfg: Config, explicit: dict[str, bool]) -> dict[str, bool]:
    """Scale -> higher is better: the preset's direction where a scale has a preset, then the
    explicit ``change.higher_is_better`` entries over it (the study's word wins). Scales with
    neither are left out (they default to true), so a study without presets reads as before."""
    preset = {k: hib for k, sc in cfg.scales.items()
              if (hib := preset_higher_is_better(sc)) is not None}
    return preset | {k: bool(v) for k, v in explicit.items()}


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the change analysis does not run (switched off; one wave), or None. The change rule
    still runs then, writing the baseline descriptives only (see ``descriptives_only``)."""
    if not section_settings(cfg.raw, SECTION)["enabled"]:
        return switched_off(SECTION)
    return waits_for_waves(2, len(cfg.wave_ids), "change is measured from entry to a follow-up "
                           "wave")


def _methods(sec: dict, primary: str, cfg: Config) -> tuple[tuple[str, ...], list[str]]:
    """The configured methods without those whose inputs are not made (impute or attrition
    not running); a problem when that method is the primary one."""
    needs = {"mi": ("missing_data", missing_data_inactive(cfg)),
             "ipw": ("attrition", attrition_inactive(cfg))}
    methods, problems = list(sec["methods"]), []
    for method, (section, off) in needs.items():
        if off is None:
            continue
        if method == primary:
            problems.append(f"config key missing_data.primary: '{primary}' needs the {section} "
                            f"stage, which does not run ({off[1]}); choose another primary "
                            f"method or let {section} run.")
        methods = [m for m in methods if m != method]
    return tuple(methods), problems


def from_config(cfg: Config) -> ChangeSettings:
    """The change settings of ``cfg``; raises ConfigError naming the key and the fix."""
    sec = section_settings(cfg.raw, SECTION)
    listings, problems = _listing_outcomes(sec, cfg)
    problems += _check_scales(sec, [*cfg.scales, *(c.name for c in listings)])
    problems += _check_auxiliary(sec, cfg)
    md = missing_data_settings(cfg)
    descriptives_only = inactive(cfg) is not None
    methods, more = _methods(sec, md.primary, cfg)
    problems += [] if descriptives_only else more
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
        higher_is_better=resolved_directions(cfg, dict(sec["higher_is_better"])),
        reliability={k: float(v) for k, v in sec["reliability"].items()},
        primary=md.primary,
        methods=methods or (md.primary,),
        auxiliary=sec["auxiliary"] if isinstance(sec["auxiliary"], str) else tuple(
            sec["auxiliary"]),
        fiml_se=sec["fiml_se"],
        funder_effect_size=sec["funder_effect_size"],
        imputation_model={"columns": md.columns, "mice": dataclasses.asdict(md.mice)},
        descriptives_only=descriptives_only,
        count_constructs=tuple(c for c in count_constructs(cfg) if c in cfg.scales),
        listing_outcomes=listings,
    )
