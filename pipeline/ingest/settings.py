"""What the ingest stage reads from the configuration (it owns no config section).

Ingest reads the core study config only: each wave's entry (file, format, sheet, event(s),
repeat instrument and instance, wave/event column, column map, date column and order, row
filters), ``id_column``, the scales (items, range, label maps), the covariates (column, wave,
event, first_nonempty), ``cleaning.exclude_if`` (row filters for every wave) and
``cleaning.missing_words`` (texts meaning "no answer", for the text-answer check) and the
columns of ``group_listings`` asked at each wave (read like items, derived by the clean stage).
:func:`from_config` is the one place that picks these out of :class:`pipeline.config.Config`; it
parses every row filter, so a bad one is refused by the start-up check naming its key.
:func:`wave_params` is the JSON the Snakemake rule ``ingest`` uses as params for one wave, so
that adding or editing another wave does not re-read this one (except the other waves of the
same long file for the first wave reading it, which logs that file's unused rows).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass

from pipeline.config import Config, Covariate, Scale, Wave
from pipeline.errors import ConfigError

from .filerows import CovariateSource, FilePlan
from .longfile import REDCAP_EVENT, Selection
from .rowfilter import Condition, parse_condition

__all__ = ["SECTION", "CORE_KEYS", "IngestSettings", "from_config", "wave_params"]

SECTION = None
CORE_KEYS = ("waves", "id_column", "scales", "covariates", "label_maps", "cleaning",
             "group_listings")


@dataclass(frozen=True)
class IngestSettings:
    """The core config as the ingest stage uses it."""

    id_column: str
    waves: tuple[Wave, ...]
    scales: dict[str, Scale]
    covariates: dict[str, Covariate]
    exclude_if: tuple[str, ...] = ()
    missing_words: tuple[str, ...] | None = None
    listing_columns: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (wave id, columns)

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
        cols += [c for w, listed in self.listing_columns if w == wave_id for c in listed]
        if wave.date_column:
            cols.append(wave.date_column)
        for cov in self.covariates.values():
            if (cov.wave or self.baseline) == wave_id:
                cols.append(cov.column)
        return cols


    def conditions(self, wave_id: str) -> tuple[Condition, ...]:
        """The row filters of a wave: ``cleaning.exclude_if`` then the wave's own."""
        return tuple(c for c, _ in _conditions(self, wave_id))

    def waves_of_file(self, wave_id: str) -> tuple[Wave, ...]:
        """Every wave read from the same file as ``wave_id`` (wave order, itself included)."""
        key = _file_key(self.wave(wave_id).file)
        return tuple(w for w in self.waves if _file_key(w.file) == key)

    def file_plan(self, wave_id: str) -> FilePlan:
        """The waves read from this wave's file and the covariates taken from other rows."""
        waves = self.waves_of_file(wave_id)
        ids = {w.id for w in waves}
        covs = tuple(
            CovariateSource(k, c.column, c.wave or self.baseline,
                            (c.event,) if isinstance(c.event, str) else tuple(c.event or ()))
            for k, c in self.covariates.items()
            if (c.event or c.first_nonempty) and (c.wave or self.baseline) in ids
        )
        return FilePlan(tuple(selection(w) for w in waves), first=waves[0].id == wave_id,
                        covariates=covs)


def _file_key(file: str) -> str:
    return os.path.normpath(file)


def selection(w: Wave) -> Selection:
    """The rows of its file a wave takes (mirrors :func:`pipeline.ingest.reader.read_wave`)."""
    column = None
    if w.wave_column or w.events or w.format == "redcap":
        column = w.wave_column or w.event_column or REDCAP_EVENT
    events = (w.events or (w.id,)) if column else ()
    return Selection(w.id, column, events, w.repeat_instrument, w.instance)


def _conditions(s: IngestSettings, wave_id: str) -> list[tuple[Condition, str]]:
    keyed = [(t, f"cleaning.exclude_if[{i}]") for i, t in enumerate(s.exclude_if)]
    keyed += [(t, f"waves ({wave_id}).exclude_if[{i}]")
              for i, t in enumerate(s.wave(wave_id).exclude_if)]
    return [(parse_condition(t, key=k), k) for t, k in keyed]


def _problems(s: IngestSettings) -> list[str]:
    problems: list[str] = []
    for w in s.waves:
        texts = [(t, f"cleaning.exclude_if[{i}]") for i, t in enumerate(s.exclude_if)
                 if w is s.waves[0]]
        texts += [(t, f"waves ({w.id}).exclude_if[{i}]") for i, t in enumerate(w.exclude_if)]
        for t, k in texts:
            try:
                parse_condition(t, key=k)
            except ConfigError as exc:
                problems.append(str(exc))
    problems += _overlap_problems(s)
    long_waves = {w.id for w in s.waves if selection(w).is_long}
    for k, c in s.covariates.items():
        target = c.wave or s.baseline
        if (c.event or c.first_nonempty) and target not in long_waves:
            what = "event" if c.event else "first_nonempty"
            problems.append(
                f"config key covariates.{k}.{what}: wave {target} (the wave the covariate is "
                "read from) is not read from a long file (no event, wave_column or instance), "
                f"so there are no other rows to take '{c.column}' from. Remove '{what}', or set "
                "the covariate's 'wave' to a wave of the long file."
            )
    return problems


def _overlap_problems(s: IngestSettings) -> list[str]:
    """Two waves of one file taking the same rows (same event and instance): refused."""
    problems, seen = [], set()
    for w in s.waves:
        if w.id in seen:
            continue
        group = s.waves_of_file(w.id)
        seen |= {g.id for g in group}
        sels = [selection(g) for g in group]
        for i, a in enumerate(sels):
            for b in sels[i + 1:]:
                both = sorted(set(a.events) & set(b.events)) if a.column else ["(all rows)"]
                if both and a.instance == b.instance and a.instrument == b.instrument:
                    problems.append(
                        f"config key waves ({b.wave_id}): waves {a.wave_id} and {b.wave_id} both "
                        f"take the rows of {', '.join(both)}"
                        + (f" instance {a.instance}" if a.instance is not None else "")
                        + f" from {w.file}. Give each wave its own event(s) or instance."
                    )
    return problems


def from_config(cfg: Config) -> IngestSettings:
    """The ingest settings of a validated configuration; every row filter parsed (one
    ConfigError lists each bad one with its key, e.g. ``waves (T1).exclude_if[0]``)."""
    s = IngestSettings(id_column=cfg.id_column, waves=tuple(cfg.waves),
                       scales=dict(cfg.scales), covariates=dict(cfg.covariates),
                       exclude_if=tuple(cfg.exclude_if),
                       missing_words=tuple(cfg.missing_words),
                       listing_columns=tuple((w, tuple(g.raw_columns))
                                             for g in cfg.group_listings.values()
                                             for w in g.waves))
    problems = _problems(s)
    if problems:
        raise ConfigError("; ".join(problems) if len(problems) == 1 else
                          f"{len(problems)} problems in the ingest settings:\n  - "
                          + "\n  - ".join(problems))
    return s


def wave_params(cfg: Config, wave_id: str) -> str:
    """JSON of everything ingesting wave ``wave_id`` reads: this wave's entry, the baseline's
    id, ``id_column``, scales (with their label maps), covariates, ``cleaning.exclude_if`` and
    ``cleaning.missing_words``;
    for the first wave read from a long file also the other waves' selections of that file (it
    logs the rows no wave uses), for a later one the id of that first wave."""
    s = from_config(cfg)
    plan = s.file_plan(wave_id)
    payload = {
        "wave": dataclasses.asdict(s.wave(wave_id)),
        "baseline": s.baseline,
        "id_column": s.id_column,
        "scales": {k: dataclasses.asdict(v) for k, v in s.scales.items()},
        "covariates": {k: dataclasses.asdict(v) for k, v in s.covariates.items()},
        "exclude_if": list(s.exclude_if),
        "missing_words": list(s.missing_words or ()),
    }
    listed = [c for w, cols in s.listing_columns if w == wave_id for c in cols]
    if listed:  # only then: a study without listings keeps its params (no re-ingest)
        payload["listing_columns"] = listed
    if plan.first and len(plan.selections) > 1:
        payload["file_waves"] = [dataclasses.asdict(x) for x in plan.selections]
    elif not plan.first:
        payload["file_first_wave"] = plan.selections[0].wave_id
    return json.dumps(payload, sort_keys=True, default=str)
