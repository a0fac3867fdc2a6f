"""What the clean stage reads from the configuration (it owns no config section).

Clean reads the core study config only: ``id_column``, the waves (id, file, months, date
column, event), the scales and covariates (with label maps), the ``cleaning`` rules and the
pseudonymisation salt. :func:`from_config` is the one place that picks these out of
:class:`pipeline.config.Config`. The salt itself is not part of the settings (they are written
into the Snakemake params as JSON); the stage takes it from ``Config.salt``.

A scale's reading aids come from its instrument preset (``scales.<k>.instrument``,
:mod:`pipeline.instruments`): :func:`meaningful_change` (the minimal important difference with
its reference, for the change wing's "meaningful change" share beside reliable change) and
:func:`score_bands` (published bands / cut-offs). Other wings read them here, as a wing's
settings are the only part of it another wing may import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.config import Config, Covariate, Scale, Wave
from pipeline.config_listings import GroupListing
from pipeline.instruments import INSTRUMENTS
from pipeline.instruments.model import Band

__all__ = ["SECTION", "CORE_KEYS", "CleaningRules", "CleanSettings", "MeaningfulChange",
           "from_config", "meaningful_change", "preset_higher_is_better", "score_bands"]

SECTION = None
CORE_KEYS = ("id_column", "id_pattern", "waves", "scales", "covariates", "label_maps",
             "cleaning", "pseudonymisation", "group_listings")


@dataclass(frozen=True)
class CleaningRules:
    """The ``cleaning`` section of the core config, defaults filled in."""

    duplicates: str
    unmatched_followup: str
    min_id_overlap: float
    max_unmatched_share: float
    time_order: str
    min_answered: int
    missing_words: tuple[str, ...]
    id_pattern: str | None


@dataclass(frozen=True)
class CleanSettings:
    """The core config as the clean stage uses it."""

    cleaning: CleaningRules
    id_column: str
    waves: tuple[Wave, ...]
    scales: dict[str, Scale]
    covariates: dict[str, Covariate]
    group_listings: dict[str, GroupListing] = field(default_factory=dict)

    @property
    def wave_ids(self) -> list[str]:
        return [w.id for w in self.waves]


def from_config(cfg: Config) -> CleanSettings:
    """The clean settings of a validated configuration (defaults: the core schema's)."""
    return CleanSettings(
        cleaning=CleaningRules(
            duplicates=cfg.duplicates,
            unmatched_followup=cfg.unmatched_followup,
            min_id_overlap=cfg.min_id_overlap,
            max_unmatched_share=cfg.max_unmatched_share,
            time_order=cfg.time_order,
            min_answered=cfg.min_answered,
            missing_words=cfg.missing_words,
            id_pattern=cfg.id_pattern,
        ),
        id_column=cfg.id_column,
        waves=tuple(cfg.waves),
        scales=dict(cfg.scales),
        covariates=dict(cfg.covariates),
        group_listings=dict(cfg.group_listings),
    )


@dataclass(frozen=True)
class MeaningfulChange:
    """The minimal important difference (MID) of one scale, in score units.

    ``source`` is ``"preset"`` when the value is the instrument preset's (``reference`` then
    cites it; ``low``/``high`` give the published range it was taken from) and ``"config"``
    when the study set ``scales.<k>.mid`` itself (no reference is known then).
    """

    scale: str
    mid: float
    source: str
    reference: str = ""
    low: float | None = None
    high: float | None = None


def meaningful_change(scale: Scale) -> MeaningfulChange | None:
    """The MID of ``scale`` (None when neither the config nor its preset gives one)."""
    if scale.mid is None:
        return None
    inst = INSTRUMENTS.get(scale.instrument or "")
    pm = inst.mid if inst is not None else None
    if pm is not None and float(pm.value) == float(scale.mid):
        return MeaningfulChange(scale.key, float(scale.mid), "preset", pm.reference, pm.low,
                                pm.high)
    return MeaningfulChange(scale.key, float(scale.mid), "config",
                            f"set in the study config (scales.{scale.key}.mid)")


def score_bands(scale: Scale) -> tuple[Band, ...]:
    """Published bands of the scale's score (empty without a preset that has them, or when
    the study changed the score away from the preset's)."""
    inst = INSTRUMENTS.get(scale.instrument or "")
    if inst is None or scale.score != inst.score:
        return ()
    return inst.bands


def preset_higher_is_better(scale: Scale) -> bool | None:
    """Whether a higher score is better, as the scale's preset says (UCLA-3, ULS-8 and ONS
    anxiety: False); None without a preset, so the change wing keeps its own default."""
    inst = INSTRUMENTS.get(scale.instrument or "")
    return None if inst is None else inst.higher_is == "better"
