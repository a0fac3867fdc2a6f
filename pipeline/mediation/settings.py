"""The ``mediation`` config section: the only reader of it.

Types, ranges, enums and defaults live in ``settings.schema.yaml`` next to this file; here the
section (validated, defaults filled in) becomes :class:`MediationSettings`, with the checks that
need the rest of the configuration (constructs are scales or group listings' derived counts
(:func:`pipeline.config_listings.listing_constructs`, present at the waves used), waves exist,
covariates are configured: :func:`pipeline.mediation.spec.build_specs`). The primary method and
the imputation model of bootstrap-then-impute come from the ``missing_data`` section
(:func:`pipeline.missing_data.settings.from_config`); ``mi.method: rubin`` pools the impute
stage's imputations instead, so it needs that stage to run (else a ConfigError). Both the
start-up check and the mediation stage call :func:`from_config`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

from pipeline.config import Config
from pipeline.config_listings import listing_constructs
from pipeline.errors import ConfigError
from pipeline.mediation.spec import MediationSpec, build_specs
from pipeline.missing_data.settings import from_config as missing_data_settings
from pipeline.missing_data.settings import inactive as missing_data_inactive
from pipeline.plan import switched_off, waits_for_waves
from pipeline.settings import section_settings
from pipeline.status import Status

__all__ = ["SECTION", "CORE_KEYS", "BootstrapSettings", "BootMISettings", "MediationSettings",
           "from_config", "inactive", "outcome_constructs", "mi_blocks", "mi_block_params",
           "MI_METHODS"]

SECTION = "mediation"
CORE_KEYS = ("seed", "waves", "scales", "covariates")
#: how the ``mi`` method pools (``mediation.mi.method``)
MI_METHODS = ("bootmi", "rubin")


@dataclass(frozen=True)
class BootstrapSettings:
    """Complete-case bootstrap: ``B`` resamples, interval ``ci`` (percentile | bca) at level
    ``conf`` (the level of every method's intervals); ``chunk_draws`` bounds memory only."""

    B: int
    ci: str
    conf: float
    chunk_draws: int | None


@dataclass(frozen=True)
class BootMISettings:
    """Bootstrap-then-impute: ``B`` bootstrap samples, each imputed ``M`` times by MICE with
    ``iterations`` iterations; ``method``, ``donors`` and ``ridge`` are the imputation model of
    ``missing_data`` (one imputation model for the whole study); ``blocks``: jobs the samples
    are imputed in (``mediation_mi_block``; results do not depend on it)."""

    B: int
    M: int
    iterations: int
    method: str
    donors: int
    ridge: float
    blocks: int = 1


@dataclass(frozen=True)
class MediationSettings:
    """Resolved ``mediation`` section.

    ``methods``: estimated in this order; ``primary``: ``missing_data.primary`` (the method
    flagged ``primary`` in the tables); ``mc_draws``: Monte Carlo draws of the FIML intervals;
    ``fiml_se``: ``robust`` (MLR, default), ``standard`` or ``bootstrap`` FIML standard errors;
    ``fiml_bootstrap_B``: case resamples of the FIML bootstrap (``fiml_se == "bootstrap"``);
    ``min_df``/``warn_n``: estimability rules; ``analyses``: one spec per configured chain.
    ``mi_method``: ``bootmi`` (bootstrap-then-impute, ``mi``) or ``rubin`` (Rubin's rules on the
    impute stage's imputations, :mod:`pipeline.mediation.rubin`); ``imputation_model``: with
    ``rubin``, what those imputations depend on (``missing_data`` columns and MICE settings: the
    rule reads them with ``ancient()`` and reruns when these change, as the change wing does).
    """

    methods: tuple[str, ...]
    primary: str
    bootstrap: BootstrapSettings
    mi: BootMISettings
    mc_draws: int
    min_df: int
    warn_n: int
    analyses: tuple[MediationSpec, ...]
    fiml_se: str = "robust"
    fiml_bootstrap_B: int = 2000
    # analyses that wait for a wave (a half-longitudinal design with two waves so far):
    # (name, label, reason); not in ``analyses``, reported with status waits_for_data
    waiting: tuple[tuple[str, str, str], ...] = ()
    mi_method: str = "bootmi"
    imputation_model: dict = field(default_factory=dict)

    @property
    def rubin(self) -> bool:
        """Whether the ``mi`` method runs and pools the impute stage's imputations."""
        return "mi" in self.methods and self.mi_method == "rubin"

    @property
    def bootmi(self) -> bool:
        """Whether the ``mi`` method runs as bootstrap-then-impute (boot-MI block jobs)."""
        return "mi" in self.methods and self.mi_method == "bootmi"

    @property
    def names(self) -> tuple[str, ...]:
        """The configured analysis names (figure file names use them)."""
        return tuple(spec.name for spec in self.analyses)


HALF_LONGITUDINAL_WAITS = ("the half-longitudinal design measures X, the mediators and Y at "
                           "three successive waves")


def _waiting(analyses: dict, n_waves: int) -> dict[str, tuple[str, str]]:
    """Analyses that wait for a third wave: half-longitudinal designs on the configured waves
    (``waves`` not given) while fewer than three are configured -> (label, reason)."""
    out = {}
    for name, a in analyses.items():
        wait = waits_for_waves(3, n_waves, HALF_LONGITUDINAL_WAITS)
        if a.get("design") == "half_longitudinal" and not a.get("waves") and wait:
            out[name] = (a.get("label") or name, wait[1])
    return out


#: bootstrap samples per boot-MI job when ``mediation.mi.blocks`` is auto, and the most jobs
MI_SAMPLES_PER_BLOCK, MI_MAX_BLOCKS = 500, 8


def mi_blocks(blocks: int | str, B: int) -> int:
    """Jobs the boot-MI samples are imputed in: ``blocks`` (at most B), or for ``auto`` one per
    ``MI_SAMPLES_PER_BLOCK`` samples, at most ``MI_MAX_BLOCKS``."""
    if blocks == "auto":
        return max(1, min(MI_MAX_BLOCKS, -(-B // MI_SAMPLES_PER_BLOCK)))
    return max(1, min(int(blocks), B))


def mi_block_params(cfg: Config) -> str:
    """JSON of what a boot-MI block job reads (the ``mediation_mi_block`` rule's params): the
    boot-MI settings, the analyses, ``min_df`` (which analyses are estimable) and the core keys;
    so a change to e.g. ``warn_n`` or the FIML settings reruns the pooling job only."""
    s = from_config(cfg)
    payload = {"mi": asdict(s.mi), "min_df": s.min_df,
               "analyses": [asdict(spec) for spec in s.analyses],
               "core": {k: cfg.raw.get(k) for k in CORE_KEYS}}
    return json.dumps(payload, sort_keys=True, default=str)


def outcome_constructs(cfg: Config) -> tuple[str, ...]:
    """The outcome (y) scale of every configured analysis, or () when the wing does not run.
    Used by the missing_data settings to derive the primary outcome (a scale whose change is
    the estimand of the tipping-point analysis), so an outcome that is a group listing's derived
    count is left out; reads no other section."""
    if inactive(cfg) is not None:
        return ()
    ys = (a["y"] for a in section_settings(cfg.raw, SECTION)["analyses"].values())
    counts = listing_constructs(cfg.group_listings)
    return tuple(c for y in ys if (c := str(y if isinstance(y, str) else y["construct"]))
                 not in counts)


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the mediation stage does not run, or None (see :mod:`pipeline.plan`): switched off,
    no analyses configured (never a built-in chain: the study's own chains or none), or a
    single wave."""
    s = section_settings(cfg.raw, SECTION)
    if not s["enabled"]:
        return switched_off(SECTION)
    if not s["analyses"]:
        return Status.NOT_RUN, ("no mediation analyses configured (mediation.analyses is empty); "
                                "add a chain there to run one")
    waits = waits_for_waves(2, len(cfg.wave_ids), "the chains relate change or later scores to "
                            "earlier ones")
    waiting = _waiting(s["analyses"], len(cfg.wave_ids))
    if waits is None and len(waiting) == len(s["analyses"]):  # every analysis waits
        return Status.WAITS_FOR_DATA, next(iter(waiting.values()))[1]
    return waits


def from_config(cfg: Config) -> MediationSettings:
    """The ``mediation`` section of ``cfg`` as settings (ConfigError naming a bad key)."""
    s = section_settings(cfg.raw, SECTION)
    md = missing_data_settings(cfg)
    covariates = {k: {"column": c.column, "type": c.type, "levels": list(c.levels or [])}
                  for k, c in cfg.covariates.items()}
    waiting = _waiting(s["analyses"], len(cfg.wave_ids))
    listings = listing_constructs(cfg.group_listings)
    specs = build_specs({k: a for k, a in s["analyses"].items() if k not in waiting},
                        {k: sc.label for k, sc in cfg.scales.items()}, cfg.wave_ids, covariates,
                        listings)
    ranges = {k: (*sc.score_range, sc.score)
              for k, sc in cfg.scales.items()}
    ranges |= {k: (c.low, c.high, c.kind) for k, c in listings.items()
               if any(k in spec.construct_waves for spec in specs)}
    specs = tuple(replace(spec, scale_ranges=ranges) for spec in specs)
    b, m = s["bootstrap"], s["mi"]
    rubin = m["method"] == "rubin" and "mi" in s["methods"]
    return MediationSettings(
        methods=tuple(s["methods"]),
        primary=md.primary,
        bootstrap=BootstrapSettings(B=b["B"], ci=b["ci"], conf=float(b["conf"]),
                                    chunk_draws=b["chunk_draws"]),
        mi=BootMISettings(B=m["B"], M=m["M"], iterations=m["iterations"], method=md.mice.method,
                          donors=md.mice.donors, ridge=md.mice.ridge,
                          blocks=mi_blocks(m["blocks"], m["B"])),
        mc_draws=s["fiml"]["mc_draws"],
        min_df=s["min_df"],
        warn_n=s["warn_n"],
        analyses=specs,
        fiml_se=s["fiml"]["se"],
        fiml_bootstrap_B=s["fiml"]["bootstrap_B"],
        waiting=tuple((k, label, why) for k, (label, why) in waiting.items()),
        mi_method=m["method"],
        imputation_model=_rubin_imputations(cfg, md) if rubin else {},
    )


def _rubin_imputations(cfg: Config, md) -> dict:
    """What the impute stage's imputations depend on (for ``mi.method: rubin``); ConfigError
    when the mediation wing runs but the impute stage does not (there are no imputations)."""
    off = missing_data_inactive(cfg)
    if off is not None and inactive(cfg) is None:
        raise ConfigError(
            f"config key mediation.mi.method: rubin pools the impute stage's imputations, but the "
            f"impute stage does not run for this study ({off[1]}). Set mediation.mi.method: "
            "bootmi, drop mi from mediation.methods, or enable missing_data.")
    return {"columns": md.columns, "mice": asdict(md.mice)}
