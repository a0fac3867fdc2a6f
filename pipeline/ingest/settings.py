"""What the ingest stage reads from the configuration (it owns no config section).

Ingest reads the core study config only: each wave's entry (file, format, sheet, event,
wave/event column, column map, date column and order), ``id_column``, the scales (items, range,
label maps) and the covariates (column, wave). :func:`from_config` is the one place that picks
these out of :class:`pipeline.config.Config`; :func:`wave_params` is the JSON the Snakemake rule
``ingest`` uses as params for one wave, so that adding or editing another wave does not re-read
this one.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from pipeline.config import Config, Covariate, Scale, Wave
from pipeline.errors import ConfigError

__all__ = ["SECTION", "CORE_KEYS", "IngestSettings", "from_config", "wave_params"]

SECTION = None
CORE_KEYS = ("waves", "id_column", "scales", "covariates", "label_maps")


@dataclass(frozen=True)
class IngestSettings:
    """The core config as the ingest stage uses it."""

    id_column: str
    waves: tuple[Wave, ...]
    scales: dict[str, Scale]
    covariates: dict[str, Covariate]

    @property
    def baseline(self) -> str:
        """The first wave's id (baseline covariates are read from it)."""
        return self.waves[0].id

    def wave(self, wave_id: str) -> Wave:
        for w in self.waves:
            if w.id == wave_id:
                return w
        raise ConfigError(f"wave '{wave_id}' is not in config 'waves' "
                          f"(known: {[w.id for w in self.waves]})")

    def expected_columns(self, wave_id: str) -> list[str]:
        """Columns the wave file must have: every item, the date column, and the covariates that
        are read from this wave (covariates without a ``wave`` only at the baseline)."""
        wave = self.wave(wave_id)
        cols = [it for sc in self.scales.values() for it in sc.items]
        if wave.date_column:
            cols.append(wave.date_column)
        for cov in self.covariates.values():
            if (cov.wave or self.baseline) == wave_id:
                cols.append(cov.column)
        return cols


def from_config(cfg: Config) -> IngestSettings:
    """The ingest settings of a validated configuration."""
    return IngestSettings(id_column=cfg.id_column, waves=tuple(cfg.waves),
                          scales=dict(cfg.scales), covariates=dict(cfg.covariates))


def wave_params(cfg: Config, wave_id: str) -> str:
    """JSON of everything ingesting wave ``wave_id`` reads: this wave's entry, the baseline's
    id, ``id_column``, scales (with their label maps) and covariates."""
    s = from_config(cfg)
    payload = {
        "wave": dataclasses.asdict(s.wave(wave_id)),
        "baseline": s.baseline,
        "id_column": s.id_column,
        "scales": {k: dataclasses.asdict(v) for k, v in s.scales.items()},
        "covariates": {k: dataclasses.asdict(v) for k, v in s.covariates.items()},
    }
    return json.dumps(payload, sort_keys=True, default=str)
