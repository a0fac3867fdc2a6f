"""Ingest one wave: read the export as it is, refuse files that cannot be right, keep provenance."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.io import (
    check_coding_shift,
    check_dates,
    check_text_answers,
    parquet_safe,
    raise_problems,
    read_wave,
)
from pipeline.io.result import concat_logs, log_entry, log_frame
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.ingest")


def add_arguments(p) -> None:
    p.add_argument("--wave", required=True)
    p.add_argument("--out-data", required=True)
    p.add_argument("--out-log", required=True)
    p.add_argument("--out-meta", required=True)


def expected_columns(cfg: Config, wave_id: str) -> list[str]:
    """Columns the wave file must have: every item, the date column, and the covariates that
    are read from this wave (baseline covariates only at the first wave)."""
    wave = cfg.wave(wave_id)
    cols = [it for sc in cfg.scales.values() for it in sc.items]
    if wave.date_column:
        cols.append(wave.date_column)
    first = cfg.wave_ids[0]
    for cov in cfg.covariates.values():
        if (cov.wave or first) == wave_id:
            cols.append(cov.column)
    return cols


def ingest_wave(cfg: Config, wave_id: str):
    """Read and check one wave; returns the ReadResult (data made Parquet-safe)."""
    wave = cfg.wave(wave_id)
    path = cfg.path(wave.file)
    result = read_wave(
        path,
        wave_id=wave_id,
        id_column=cfg.id_column,
        expected_columns=expected_columns(cfg, wave_id),
        format=wave.format,
        sheet=wave.sheet,
        event=wave.event,
        wave_column=wave.wave_column,
        event_column=wave.event_column,
        column_map=wave.column_map or None,
    )
    data = result.data
    for sc in cfg.scales.values():
        if sc.range[1] - sc.range[0] <= 10:  # Likert-type codes only
            for item in sc.items:
                check_coding_shift(data[item], column=item, file=path.name, lo=sc.range[0],
                                   hi=sc.range[1])
    label_maps = {it: sc.label_map for sc in cfg.scales.values() if sc.label_map
                  for it in sc.items}
    problems = check_text_answers(data, label_maps)
    if problems:
        raise_problems(
            problems, file=path.name, what="text answers that are not in the label map",
            advice="Add each label to the scale's label map in config/config.yaml (with its "
            "code, or null if it means 'no answer'), or correct the export, then run again.",
        )
    if wave.date_column:
        dayfirst = {"dmy": True, "mdy": False}.get(wave.date_order or "")
        dc = check_dates(data[wave.date_column], column=wave.date_column, file=path.name,
                         dayfirst=dayfirst)
        entries = [
            log_entry(path.name, int(data.loc[i, "_source_row"]), wave.date_column, v,
                      "not a date", "set_missing")
            for i, v in dc.unparsed.items()
        ]
        result.log = concat_logs(result.log, log_frame(entries))
        data[wave.date_column] = pd.to_datetime(dc.dates).dt.strftime("%Y-%m-%d %H:%M:%S")
        result.meta["date_order"] = dc.order
        result.meta.setdefault("notes", []).extend(dc.notes)
    safe, converted = parquet_safe(data)
    result.meta["mixed_type_columns_as_text"] = converted
    result.data = safe
    return result


def run(cfg: Config, args) -> None:
    result = ingest_wave(cfg, args.wave)
    write_parquet(result.data, args.out_data)
    write_table(result.log, args.out_log)
    Path(args.out_meta).write_text(
        json.dumps(result.meta, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    log.info("wave %s: %d rows kept, %d dropped (see %s)", args.wave, len(result.data),
             result.n_dropped, args.out_log)
