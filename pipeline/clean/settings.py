"""What the clean stage reads from the configuration (it owns no config section).

Clean reads the core study config only: ``id_column``, the waves (id, file, months, date
column, event), the scales and covariates (with label maps), the ``cleaning`` rules and the
pseudonymisation salt. :func:`from_config` is the one place that picks these out of
:class:`pipeline.config.Config`. The salt itself is not part of the settings (they are written
into the Snakemake params as JSON); the stage takes it from ``Config.salt``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Config, Covariate, Scale, Wave

__all__ = ["SECTION", "CORE_KEYS", "CleaningRules", "CleanSettings", "from_config"]

SECTION = None
CORE_KEYS = ("id_column", "id_pattern", "waves", "scales", "covariates", "label_maps",
             "cleaning", "pseudonymisation")


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
    )
