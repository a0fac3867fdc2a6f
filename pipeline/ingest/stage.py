"""Ingest one wave: read the export as it is, refuse files that cannot be right, keep provenance."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pipeline.config import Config
from pipeline.ingest.checks import check_label_answers, check_scale_coding
from pipeline.ingest.dates import read_wave_dates
from pipeline.ingest.labels import check_value_labels
from pipeline.ingest.reader import read_wave
from pipeline.ingest.result import ReadResult
from pipeline.ingest.settings import IngestSettings, from_config
from pipeline.ingest.storage import parquet_safe
from pipeline.stage_io import StageIO
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.ingest")


def ingest_wave(settings: IngestSettings, wave_id: str, path: Path) -> ReadResult:
    """Read and check one wave's export at ``path``; the ReadResult's data is Parquet-safe."""
    wave = settings.wave(wave_id)
    result = read_wave(
        path,
        wave_id=wave_id,
        id_column=settings.id_column,
        expected_columns=settings.expected_columns(wave_id),
        format=wave.format,
        sheet=wave.sheet,
        event=wave.event,
        wave_column=wave.wave_column,
        event_column=wave.event_column,
        column_map=wave.column_map or None,
        repeat_instrument=wave.repeat_instrument,
        instance=wave.instance,
        exclude_if=settings.conditions(wave_id),
        file_plan=settings.file_plan(wave_id),
    )
    file = path.name
    check_scale_coding(result.data, settings.scales, file=file, wave=wave_id)
    check_label_answers(result.data, settings.scales, file=file,
                        missing_words=settings.missing_words)
    check_value_labels(result, settings.scales, file=file, wave=wave_id)
    read_wave_dates(result, wave, file=file)
    result.data, result.meta["mixed_type_columns_as_text"] = parquet_safe(result.data)
    return result


def run(cfg: Config, io: StageIO) -> None:
    wave = io.wildcards["wave"]
    result = ingest_wave(from_config(cfg), wave, io.input("wave"))
    write_parquet(result.data, io.output("data"))
    write_table(result.log, io.output("log"))
    io.output("meta").write_text(
        json.dumps(result.meta, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    log.info("wave %s: %d rows kept, %d dropped (see %s)", wave, len(result.data),
             result.n_dropped, io.output("log"))
    for rule, n in (result.meta.get("excluded_by_rule") or {}).items():
        log.info("wave %s: %d row(s) excluded by rule '%s'", wave, n, rule)
