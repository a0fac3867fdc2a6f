"""Ingest one wave: read the export as it is, refuse files that cannot be right, keep provenance."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.ingest import (
    check_coding_shift,
    compare_value_labels,
    check_dates,
    check_text_answers,
    parquet_safe,
    raise_problems,
    read_wave,
)
from pipeline.ingest.result import concat_logs, log_entry, log_frame
from pipeline.stage_io import StageIO
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.ingest")


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


def check_value_labels(cfg: Config, result, file: str) -> None:
    """Compare value labels stored in an SPSS/Stata file with the config's label maps.

    A label whose code in the file differs from the config's code means the numbers in this
    file mean something else: refused, all such labels listed. Labels the map does not know are
    reported in the read log (action "flagged") and the rule log, not silently dropped.
    """
    value_labels = result.meta.get("value_labels") or {}
    if not value_labels:
        return
    conflicts, unknown = [], []
    for sc in cfg.scales.values():
        if not sc.label_map:
            continue
        labels = {it: {_code(c): lab for c, lab in value_labels[it].items()}
                  for it in sc.items if it in value_labels}
        codes = {k: v for k, v in sc.label_map.items() if v is not None}
        declared = result.meta.get("user_missing") or {}
        missing = {it: [c for c in value_labels[it] if _is_user_missing(_code(c), declared.get(it))]
                   for it in labels}
        missing = {it: [_code(c) for c in cs] for it, cs in missing.items()}
        for problem in compare_value_labels(labels, codes, missing_codes=missing):
            (conflicts if "in the file but" in problem else unknown).append(problem)
    if conflicts:
        raise_problems(
            conflicts, file=file, what="value labels whose codes differ from the config",
            advice="The numbers in this file are coded differently from the other waves. Recode "
            "the export to the configured codes (or correct the label map), then run again.",
        )
    if unknown:
        entries = [log_entry(file, None, p.split("'")[1], None, "value label not in the config "
                             "label map: " + p, "flagged") for p in unknown]
        result.log = concat_logs(result.log, log_frame(entries))
        for p in unknown:
            log.warning("%s: %s", file, p)


def _is_user_missing(code, declared) -> bool:
    """True when ``code`` is one of the file's declared user-missing values or ranges."""
    for d in declared or []:
        if isinstance(d, dict):
            try:
                if float(d["lo"]) <= float(code) <= float(d["hi"]):
                    return True
            except (TypeError, ValueError, KeyError):
                continue
        elif _code(d) == code:
            return True
    return False


def _code(c):
    try:
        return float(c)
    except (TypeError, ValueError):
        return c


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
            if len(sc.items) > 1:  # the scale's items together: a recode shifts all of them
                pooled = pd.concat([data[it] for it in sc.items], ignore_index=True)
                check_coding_shift(pooled, column=f"scale {sc.key} ({', '.join(sc.items)})",
                                   file=path.name, lo=sc.range[0], hi=sc.range[1], min_share=0.01)
    label_maps = {it: sc.label_map for sc in cfg.scales.values() if sc.label_map
                  for it in sc.items}
    problems = check_text_answers(data, label_maps)
    if problems:
        raise_problems(
            problems, file=path.name, what="text answers that are not in the label map",
            advice="Add each label to the scale's label map in config/config.yaml (with its "
            "code, or null if it means 'no answer'), or correct the export, then run again.",
        )
    check_value_labels(cfg, result, path.name)
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


def run(cfg: Config, io: StageIO) -> None:
    wave = io.wildcards["wave"]
    result = ingest_wave(cfg, wave)
    write_parquet(result.data, io.output("data"))
    write_table(result.log, io.output("log"))
    io.output("meta").write_text(
        json.dumps(result.meta, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    log.info("wave %s: %d rows kept, %d dropped (see %s)", wave, len(result.data),
             result.n_dropped, io.output("log"))
