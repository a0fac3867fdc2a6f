"""read_wave: one wave's raw export in, raw rows with provenance + an action log out.

No values are cleaned here (that is :mod:`pipeline.clean.cleaner`). This module decides what file it
is, reads it, removes what is not participant data (Qualtrics header rows, previews, empty rows,
other events' rows, unconfigured and personal columns) and refuses files that cannot be right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ConfigError, InputFileError, config_name

from . import qualtrics
from .columns import match_columns, refuse_missing_id, refuse_missing_items
from .csv_reader import convert_decimal_commas, read_csv_table
from .excel_reader import read_xlsx_table
from .filerows import FilePlan, carry_covariates, log_file_rows
from .formats import check_exists, resolve_format
from .ids import detect_lost_leading_zeros, ids_as_text, lost_zeros_message
from .longfile import REDCAP_EVENT, REDCAP_REPEAT, Selection, select_rows
from .result import SOURCE_FILE, SOURCE_ROW, RawTable, ReadResult, log_entry, log_frame
from .rowfilter import Condition, apply_filters
from .stat_reader import apply_user_missing, read_stat_table


def read_wave(
    path: str | Path,
    *,
    wave_id: str,
    id_column: str,
    expected_columns: list[str],
    format: str = "auto",
    sheet: str | int | None = None,
    event: str | Sequence[str] | None = None,
    wave_column: str | None = None,
    event_column: str | None = None,
    column_map: dict[str, str] | None = None,
    repeat_instrument: str | None = None,
    instance: int | None = None,
    exclude_if: tuple[Condition, ...] = (),
    file_plan: FilePlan | None = None,
) -> ReadResult:
    """Read one wave's export. See pipeline/ingest/README.md for every situation handled.

    ``expected_columns``: configured columns this wave must have (items, covariates, date
    column); the id column is added. ``column_map``: raw name -> configured name.
    ``event``: value(s) of ``wave_column`` / ``event_column`` (default ``redcap_event_name``)
    whose rows form this wave in a long file (several: arms pooled); with ``wave_column`` and no
    ``event`` the wave id is the value. ``instance`` (+ ``repeat_instrument``): the REDCap repeat
    instance forming the wave. ``exclude_if``: parsed row filters
    (:func:`pipeline.ingest.rowfilter.parse_condition`). ``file_plan``: the other waves read
    from the same file and the covariates taken from other rows (:mod:`.filerows`); without it,
    rows of other events are only counted. Raises :class:`InputFileError` for files that cannot
    be used.
    """
    path = Path(path)
    file = path.name
    table, renames, expected = _read_checked(
        path, wave_id=wave_id, id_column=id_column, expected_columns=expected_columns,
        format=format, sheet=sheet, column_map=column_map or {},
    )  # fmt: skip
    events = (event,) if isinstance(event, str) else tuple(event or ())
    long_column = _long_column(
        table, events, wave_column, event_column, format, instance, file=file, wave_id=wave_id
    )
    sel = Selection(wave_id, long_column, (events or (wave_id,)) if long_column else (),
                    repeat_instrument, instance)  # fmt: skip
    plan = file_plan or FilePlan((sel,), first=False)
    plan = replace(plan, selections=tuple(sel if x.wave_id == wave_id else x
                                          for x in plan.selections))  # what is applied here
    full = None
    if sel.is_long:
        table = _drop_empty_rows(table, file=file, long_file=True, log=file_plan is None
                                 or plan.first)  # fmt: skip
        full = table
        if plan.first:
            full = log_file_rows(table, plan, id_column=id_column, file=file)
        table = select_rows(RawTable(full.data, full.rows, full.log, full.meta), sel, file=file)
    n_rows_read = len(table.data)
    if n_rows_read == 0:
        raise InputFileError(
            f"{file}: wave {wave_id} file has a header but no data rows — export again including "
            "responses."
        )
    if qualtrics.is_qualtrics_meta(table.meta):
        table = qualtrics.drop_preview_rows(table, file=file)
    if not sel.is_long:
        table = _drop_empty_rows(table, file=file, long_file=False)
    table = apply_filters(table, exclude_if, file=file, wave_id=wave_id)
    if instance is None:
        table = _drop_redcap_repeat_rows(table, expected, file=file)
        _refuse_repeats_without_instance(table, id_column, file=file, wave_id=wave_id)
    if full is not None:
        table = carry_covariates(table, full, plan, wave_id=wave_id, id_column=id_column,
                                 event_column=long_column, file=file)  # fmt: skip
    keep = _kept_columns(table, id_column, expected, long_column)
    if len(table.data) == 0:
        raise InputFileError(
            f"{file}: wave {wave_id} file has {n_rows_read} row(s) but none is a participant's "
            "response (all empty, previews or excluded by exclude_if; see the log). Export "
            "again including responses, or check the wave's exclude_if rules."
        )
    data, extra_log, meta_add = _finish_columns(table, keep, id_column, expected, file=file)
    meta = _meta(table, meta_add, keep, renames, n_rows_read, file=file, wave_id=wave_id)
    data[SOURCE_FILE] = file
    data[SOURCE_ROW] = np.asarray(table.rows, dtype=np.int64)
    log = log_frame([*table.log, *extra_log])
    return ReadResult(data=data.reset_index(drop=True), log=log, meta=meta)


def _read_checked(
    path: Path, *, wave_id: str, id_column: str, expected_columns: list[str], format: str,
    sheet: Any, column_map: dict[str, str],
) -> tuple[RawTable, dict[str, str], list[str]]:
    """The file's table (Qualtrics header rows handled, columns renamed) once the id column and
    every expected column are there and none of them is personal data."""
    file = path.name
    check_exists(path, wave_id=wave_id)
    reader, kind = resolve_format(path, format, wave_id=wave_id)
    table = _read_table(path, reader, kind, id_column=id_column, sheet=sheet)
    table = _handle_qualtrics(table, format, file=file)
    expected = [c for c in dict.fromkeys(expected_columns) if c != id_column]
    table, renames = _rename(table, column_map, [id_column] + expected, file=file)
    available = [str(c) for c in table.data.columns]
    if id_column not in available:
        refuse_missing_id(id_column, available, file=file, wave_id=wave_id)
    refuse_missing_items(
        [c for c in expected if c not in available], available, file=file, wave_id=wave_id,
        configured=[id_column, *expected],
    )  # fmt: skip
    _refuse_private(expected, id_column, qualtrics.private_columns(table.meta), wave_id=wave_id)
    return table, renames, expected


def _read_table(path: Path, reader: str, kind: str, *, id_column: str, sheet: Any) -> RawTable:
    if reader == "csv":
        return read_csv_table(path, id_column=id_column)
    if reader == "xlsx":
        return read_xlsx_table(path, id_column=id_column, sheet=sheet)
    return read_stat_table(path, kind)


def _handle_qualtrics(table: RawTable, format: str, *, file: str) -> RawTable:
    detected = qualtrics.is_qualtrics(table)
    if format.startswith("qualtrics") and not detected:
        raise InputFileError(
            f"{file}: configured as a Qualtrics export, but rows 2-3 are not Qualtrics' question "
            'text and {"ImportId": ...} rows. Export from Qualtrics with "Export values"/"Use '
            "choice text\" (legacy format off), or set the wave's format to csv/xlsx."
        )
    if detected and table.meta.get("format") in ("csv", "xlsx"):
        return qualtrics.strip_header_rows(table, file=file)
    return table


def _rename(
    table: RawTable, column_map: dict[str, str], wanted: list[str], *, file: str
) -> tuple[RawTable, dict[str, str]]:
    """Apply the configured column_map, then unique case/space-insensitive matches (logged)."""
    df = table.data
    cmap = {k: v for k, v in column_map.items() if k in df.columns}
    df = df.rename(columns=cmap)
    auto, _ = match_columns([str(c) for c in df.columns], wanted)
    df = df.rename(columns=auto)
    log = list(table.log)
    for raw, new in auto.items():
        log.append(
            log_entry(
                file,
                None,
                new,
                raw,
                f"column header '{raw}' matched to '{new}' ignoring case/spaces",
                "renamed_column",
            )
        )
    meta = dict(table.meta)
    return RawTable(df, table.rows, log, meta), {**cmap, **auto}


def _refuse_private(
    expected: list[str], id_column: str, private_columns: tuple[str, ...], *, wave_id: str
) -> None:
    private = [c for c in expected if c in private_columns and c != id_column]
    if private:
        raise ConfigError(
            f"wave {wave_id}: configured column(s) {', '.join(private)} hold personal data (IP "
            "address, name, e-mail or location) and are never read. Remove them from the "
            "configuration."
        )


def _long_column(
    table: RawTable,
    events: tuple[str, ...],
    wave_column: str | None,
    event_column: str | None,
    format: str,
    instance: int | None,
    *,
    file: str,
    wave_id: str,
) -> str | None:
    """The column naming the wave/event of each row, or None for a one-wave file."""
    if wave_column or events or format == "redcap":
        return wave_column or event_column or REDCAP_EVENT
    if REDCAP_EVENT in table.data.columns:
        events = sorted(str(v) for v in table.data[REDCAP_EVENT].dropna().unique())
        if len(events) > 1:
            raise InputFileError(
                f"{file}: this is a REDCap longitudinal export holding {len(events)} events "
                f"({', '.join(events)}), but wave {wave_id} has no 'event'. Add event: <name> to "
                f"each wave taken from this file in {config_name()}."
            )
    return None


def _drop_empty_rows(
    table: RawTable, *, file: str, long_file: bool, log: bool = True
) -> RawTable:
    """Remove rows with every cell empty: logged as dropped (or skipped in a long file; there
    only by the wave that logs the file's rows, ``log``)."""
    df = table.data
    empty = df.isna().all(axis=1).to_numpy()
    if not empty.any():
        return table
    rows = np.asarray(table.rows)
    meta = dict(table.meta)
    if long_file:
        meta["n_empty_rows_file"] = int(empty.sum())
    if not log:
        return RawTable(df[~empty].reset_index(drop=True), rows[~empty], list(table.log), meta)
    log = list(table.log)
    issue = (
        "empty row in a long file (belongs to no wave)"
        if long_file
        else "empty row (every cell blank)"
    )
    action = "skipped" if long_file else "row_dropped"
    log.extend(log_entry(file, int(r), None, None, issue, action) for r in rows[empty])
    return RawTable(df[~empty].reset_index(drop=True), rows[~empty], log, meta)


def _drop_redcap_repeat_rows(table: RawTable, expected: list[str], *, file: str) -> RawTable:
    """REDCap repeating-instrument rows with none of this wave's columns answered: dropped."""
    col = REDCAP_REPEAT[0]
    df = table.data
    if col not in df.columns:
        return table
    items = [c for c in expected if c in df.columns]
    drop = (df[col].notna() & (df[items].isna().all(axis=1) if items else True)).to_numpy()
    if not drop.any():
        return table
    rows = np.asarray(table.rows)
    log = list(table.log)
    log.extend(
        log_entry(
            file,
            int(r),
            col,
            v,
            "REDCap repeating-instrument row without this wave's items",
            "row_dropped",
        )
        for r, v in zip(rows[drop], df.loc[drop, col])
    )
    return RawTable(df[~drop].reset_index(drop=True), rows[~drop], log, table.meta)


def _refuse_repeats_without_instance(
    table: RawTable, id_column: str, *, file: str, wave_id: str
) -> None:
    """A record with several repeat instances holding this wave's answers: which one is the
    wave cannot be guessed (and must not become 'duplicates'); the wave needs its ``instance``."""
    df = table.data
    col = REDCAP_REPEAT[1]
    if col not in df.columns or id_column not in df.columns:
        return
    rep = df[df[col].notna() & df[id_column].notna()]
    several = rep[id_column].astype(str)[rep[id_column].astype(str).duplicated(keep=False)]
    if several.empty:
        return
    inst = pd.to_numeric(rep[col], errors="coerce").dropna()
    instr = (sorted({str(v) for v in rep[REDCAP_REPEAT[0]].dropna()})
             if REDCAP_REPEAT[0] in df.columns else [])
    raise InputFileError(
        f"{file}: wave {wave_id} has {several.nunique()} record(s) with several REDCap repeat "
        f"instances holding its items (instrument {', '.join(instr) or '?'}, instances "
        f"{int(inst.min())}-{int(inst.max())}). Say which instance forms each wave: add "
        f"'instance: 1' (and 'repeat_instrument: <name>') to this wave in {config_name()}, "
        "and one wave entry per further instance, all with this file."
    )


def _kept_columns(
    table: RawTable, id_column: str, expected: list[str], long_column: str | None
) -> list[str]:
    cols = [id_column] + expected
    extra = [long_column, *REDCAP_REPEAT]
    if qualtrics.is_qualtrics_meta(table.meta):
        extra += list(qualtrics.DATE_COLUMNS)
    for c in extra:
        if c and c in table.data.columns and c not in cols:
            cols.append(c)
    return cols


def _finish_columns(
    table: RawTable, keep: list[str], id_column: str, expected: list[str], *, file: str
) -> tuple[pd.DataFrame, list[dict[str, Any]], dict[str, Any]]:
    """Select kept columns, apply user-missing codes and decimal commas, ids as text."""
    data = table.data[keep].copy()
    meta = table.meta
    log: list[dict[str, Any]] = []
    add: dict[str, Any] = {}
    if meta.get("user_missing") is not None:
        data, log = apply_user_missing(
            data, table.rows, meta["user_missing"], meta.get("value_labels", {}),
            file=file, columns=expected,
        )  # fmt: skip
    if meta.get("delimiter") == ";":
        data, converted = convert_decimal_commas(data, expected)
        if converted:
            add["decimal"] = ","
            add["decimal_comma_columns"] = converted
    data[id_column], numeric_ids = ids_as_text(data[id_column])
    add["ids_numeric"] = numeric_ids
    add["ids_lost_leading_zeros"] = detect_lost_leading_zeros(data[id_column].dropna())
    if add["ids_lost_leading_zeros"]:
        add["notes"] = [
            *meta.get("notes", []), lost_zeros_message(id_column, data[id_column].dropna())
        ]
    return data, log, add


def _meta(
    table: RawTable,
    add: dict[str, Any],
    keep: list[str],
    renames: dict[str, str],
    n_rows_read: int,
    *,
    file: str,
    wave_id: str,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "file": file,
        "wave": wave_id,
        "format": None,
        "encoding": None,
        "delimiter": None,
        "decimal": None,
        "sheet": None,
        "header_row": None,
        "value_labels": {},
        "user_missing": {},
        "notes": [],
    }
    meta.update(table.meta)
    meta.update(add)
    dropped = [str(c) for c in table.data.columns if c not in keep]
    meta["dropped_columns"] = dropped
    private = qualtrics.private_columns(meta)
    meta["private_columns_removed"] = [c for c in dropped if c in private]
    if qualtrics.is_qualtrics_meta(meta):
        meta["dropped_metadata_columns"] = [c for c in dropped if c in qualtrics.METADATA_COLUMNS]
    meta["renamed_columns"] = renames
    meta["n_rows_read"] = n_rows_read
    for key in ("value_labels", "user_missing"):
        meta[key] = {c: v for c, v in (meta.get(key) or {}).items() if c in keep}
    if "question_text" in meta:
        meta["question_text"] = {c: t for c, t in meta["question_text"].items() if c in keep}
    return meta
