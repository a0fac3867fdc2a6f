"""Clean stage: ids, duplicates, labels, ranges, reverse keys, pseudonymisation, linking.

Contract (docs/design.md): every raw row ends up either in the clean data or in the QC log with
``action == "row_dropped"``; every changed cell is logged; raw ids never leave this module
except in messages that stop the run (the QC log names rows, see :mod:`pipeline.clean.qc_log`).

The QC log and its conventions are described in :mod:`pipeline.clean.qc_log`; linking waves,
the wide table and the accounting check live in :mod:`pipeline.clean.link` (re-exported here);
the whole study is cleaned by :mod:`pipeline.clean.study`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.clean.coding import wave_range_log
from pipeline.clean.covariates import clean_covariate
from pipeline.clean.link import check_accounting, link_waves, to_wide
from pipeline.clean.pseudonym import (
    ISSUE_REPADDED,
    PatternIds,
    apply_id_pattern,
    normalise_id,
    pseudonymise,
)
from pipeline.clean.qc_log import (
    LOG_COLUMNS,
    ROW_DROPPED,
    SET_MISSING,
    Where,
    cell_log,
    concat_logs,
    empty_log,
    issue_where,
    make_log,
    summary_log,
)
from pipeline.clean.responses import no_answer_issue, resolve_duplicates
from pipeline.clean.values import Reading, cell_text, clean_item, parse_dates
from pipeline.config import Covariate, Scale
from pipeline.errors import ConfigError, InputFileError, closest_names, config_name

__all__ = [
    "LOG_COLUMNS",
    "CleanWave",
    "check_accounting",
    "clean_wave",
    "concat_logs",
    "empty_log",
    "link_waves",
    "make_log",
    "to_wide",
]

SOURCE_COLUMNS = ["_source_file", "_source_row"]


@dataclass(frozen=True)
class CleanWave:
    """One cleaned wave: ``data`` (one row per participant) and its QC ``log``."""

    data: pd.DataFrame
    log: pd.DataFrame


def _require_columns(raw: pd.DataFrame, needed: dict[str, str], file: str, wave_id: str) -> None:
    """Raise InputFileError naming the first missing configured column and close matches."""
    missing = [c for c in needed if c not in raw.columns]
    if not missing:
        return
    have = [str(c) for c in raw.columns if c not in SOURCE_COLUMNS]
    lines = []
    for c in missing:
        close = closest_names(c, have)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        lines.append(f"column '{c}' ({needed[c]}){hint}")
    raise InputFileError(
        f"{file} (wave {wave_id}): configured column(s) not found: "
        + "; ".join(lines)
        + f". Columns in the file: {', '.join(have[:40])}. Rename the column in the export or "
        f"fix the name in {config_name()}."
    )


def _id_logs(where: Where, ids: PatternIds, norm: pd.Series, column: str,
             pattern: str | None) -> list:
    """Log rows without an id (dropped), ids changed by normalisation or re-padded to
    ``id_pattern``, and ids matching the pattern in neither form (flagged). ``original_value``
    says what happened, never the id (see :mod:`pipeline.clean.qc_log`); ids differing from
    their normalised form only in case get one summary row per file (it would be every id of an
    upper-case file)."""
    idx = ids.as_written.index
    has_id = norm.notna().to_numpy()
    text = ids.as_written
    space = has_id & (text.str.replace(r"\s+", "", regex=True) != text).fillna(False).to_numpy(bool)
    pad = ids.repadded.to_numpy(bool)
    case = has_id & ~space & ~pad & (text != norm).fillna(False).to_numpy(bool)
    no_pid = Where(where.file, where.row, None, where.wave)
    return [
        cell_log(no_pid, column, "(blank)", issue_where("missing id", ~has_id, idx), ROW_DROPPED),
        cell_log(where, column, "(re-padded)", issue_where(ISSUE_REPADDED, pad, idx),
                 "id_normalised"),
        cell_log(
            where,
            column,
            "case/whitespace differs",
            issue_where("id normalised (white space removed, case folded)", space & ~pad, idx),
            "id_normalised",
        ),
        cell_log(where, column, "(does not match)",
                 issue_where(f"id does not match id_pattern '{pattern}'", ids.unmatched, idx),
                 "flagged"),
        summary_log(
            where, pd.Series(case), column, "id normalised (case folded only)", "id_normalised"
        ),
    ]


def _clean_date(where: Where, raw: pd.Series, column: str) -> tuple[pd.Series, list]:
    """Completion dates (:func:`parse_dates`); unparseable text -> NaT (set_missing), blank
    dates flagged."""
    date, issue = parse_dates(raw)
    blank = issue_where("completion date missing", date.isna() & issue.isna(), raw.index)
    return date, [
        cell_log(where, column, cell_text(raw), issue, SET_MISSING),
        cell_log(where, column, "(blank)", blank, "flagged"),
    ]


def _needed_columns(wave_id: str, id_column: str, scales: dict[str, Scale],
                    covariates: dict[str, Covariate], date_column: str | None,
                    is_baseline: bool) -> dict[str, str]:
    """Configured column -> what it is, for every column the wave must have: the id, the
    provenance columns, every item, the date column and the covariates read from this wave."""
    needed = {id_column: "id_column", **{c: "source column" for c in SOURCE_COLUMNS}}
    for key, sc in scales.items():
        needed.update({it: f"item of scale '{key}'" for it in sc.items})
    if date_column:
        needed[date_column] = f"date_column of wave {wave_id}"
    for key, cov in covariates.items():
        if (cov.wave == wave_id) or (cov.wave is None and is_baseline):
            needed[cov.column] = f"column of covariate '{key}'"
    return needed


def _clean_scale(where: Where, raw: pd.DataFrame, sc: Scale,
                 reading: Reading) -> tuple[pd.DataFrame, list]:
    """All items of one scale (:func:`clean_item`) with their log rows."""
    values, logs = {}, []
    lo, hi = sc.range
    for it in sc.items:
        v, issue, p = clean_item(raw[it].rename(it), sc, wave=where.wave,
                                 missing_words=reading.missing_words)
        logs.append(wave_range_log(where, it, sc, p))  # range_by_wave: recoded, one row
        idx = raw.index
        label_text = f"label decoded via label map '{sc.label_map_name or sc.key}'"
        logs += [
            cell_log(where, it, p.text, issue, SET_MISSING),
            # per cell: text meaning "no answer" and text labels turned into codes
            cell_log(where, it, p.text,
                     issue_where("missing-value text", p.kind.eq("token"), idx), SET_MISSING),
            cell_log(where, it, p.text,
                     issue_where(label_text, p.kind.eq("label") & issue.isna(), idx), "recoded"),
        ]
        if it in sc.reverse:
            logs.append(
                summary_log(
                    where, v.notna(), it, f"reverse keyed: {lo + hi:g} - x", "reverse_keyed"
                )
            )
        values[it] = v
    return pd.DataFrame(values, index=raw.index), logs


def _responses(where: Where, out: pd.DataFrame, items: pd.DataFrame, shown: pd.Series,
               id_column: str, *, duplicates: str, min_answered: int,
               file: str) -> tuple[np.ndarray, list]:
    """Which rows are this wave's responses (:mod:`pipeline.clean.responses`): rows with
    fewer than ``min_answered`` answered items are dropped, then one row per pid is kept by
    the ``duplicates`` rule. Returns (keep mask, log frames); the log names rows, never ids."""
    if min_answered > items.shape[1]:
        raise ConfigError(
            f"config key cleaning.min_answered: {min_answered} is more than the "
            f"{items.shape[1]} configured items, so no row could count as a response. Set it "
            f"to at most {items.shape[1]} (1 = any answer)."
        )
    answered = items.notna().sum(axis=1)
    empty = no_answer_issue(answered, items.shape[1], min_answered)
    real = empty.isna().to_numpy()
    dup = resolve_duplicates(
        where.pid[real], answered[real], out["date"][real], where.row[real], rule=duplicates,
        shown=shown[real], file=file, wave_id=where.wave, answers=items[real],
    )
    keep = dup.keep.reindex(out.index, fill_value=False).to_numpy(dtype=bool)
    logs = [
        cell_log(where, id_column, "(no answers)", empty, ROW_DROPPED),
        cell_log(where, id_column, "(duplicate)", dup.dropped.reindex(out.index), ROW_DROPPED),
        cell_log(where, id_column, "(duplicate)", dup.tie_kept.reindex(out.index), "flagged"),
    ]
    return keep, logs


def clean_wave(
    raw: pd.DataFrame,
    *,
    wave_id: str,
    wave_index: int,
    months: float,
    id_column: str,
    scales: dict[str, Scale],
    covariates: dict[str, Covariate],
    date_column: str | None,
    salt: str,
    is_baseline: bool,
    duplicates: str = "most_complete",
    min_answered: int = 1,
    id_pattern: str | None = None,
    reading: Reading | None = None,
) -> CleanWave:
    """Clean one wave as returned by the reader (see the module docstring for the log).

    Steps: re-pad ids to ``id_pattern`` (:func:`pipeline.clean.pseudonym.apply_id_pattern`);
    drop rows without an id; normalise (:func:`pipeline.clean.pseudonym.normalise_id`) and
    pseudonymise ids; clean item cells (:func:`pipeline.clean.values.clean_item`: labels,
    missing codes, ranges, non-integer Likert values -> missing; reverse keying), covariates
    and the completion date; drop rows with fewer than ``min_answered`` answered items ("no
    answers") and resolve within-wave duplicate ids by the ``duplicates`` rule
    (:mod:`pipeline.clean.responses`; config ``cleaning.min_answered``,
    ``cleaning.duplicates``). Covariate columns are required in the baseline wave (or the
    wave named by ``Covariate.wave``) and filled with missing values elsewhere when absent.

    Returns data with columns pid, wave, wave_index, months, date, <covariate keys>,
    <items>, _source_file, _source_row; and the wave's QC log.
    """
    file_name = (
        str(raw["_source_file"].iloc[0]) if len(raw) and "_source_file" in raw else "(input)"
    )
    needed = _needed_columns(wave_id, id_column, scales, covariates, date_column, is_baseline)
    _require_columns(raw, needed, file_name, wave_id)

    raw = raw.reset_index(drop=True)
    ids = apply_id_pattern(raw[id_column], id_pattern)
    norm = normalise_id(ids.ids)
    pid = pseudonymise(norm, salt)
    file, row = raw["_source_file"].astype("string"), raw["_source_row"].astype(int)
    logs = _id_logs(Where(file, row, pid, wave_id), ids, norm, id_column, id_pattern)

    has_id = norm.notna().to_numpy()
    kept = raw[has_id]
    where = Where(file[has_id], row[has_id], pid[has_id], wave_id)
    out = pd.DataFrame(index=kept.index)
    out["pid"] = where.pid
    out["wave"] = pd.Series(wave_id, index=kept.index, dtype="string")
    out["wave_index"] = int(wave_index)
    out["months"] = float(months)
    if date_column:
        out["date"], date_logs = _clean_date(where, kept[date_column], date_column)
        logs += date_logs
    else:
        out["date"] = pd.Series(pd.NaT, index=kept.index, dtype="datetime64[us]")
    for key, cov in covariates.items():
        out[key], cov_logs = clean_covariate(where, kept, cov, reading)
        logs += cov_logs
    item_frames = [pd.DataFrame(index=kept.index)]
    for sc in scales.values():
        frame, item_logs = _clean_scale(where, kept, sc, reading or Reading())
        item_frames.append(frame)
        logs += item_logs
    items = pd.concat(item_frames, axis=1)
    out = pd.concat([out, items], axis=1)

    keep, response_logs = _responses(
        where, out, items, ids.as_written[has_id], id_column, duplicates=duplicates,
        min_answered=min_answered, file=file_name,
    )
    logs += response_logs
    out["_source_file"] = where.file
    out["_source_row"] = where.row.astype("int64")
    data = out[keep].reset_index(drop=True)
    return CleanWave(data=data, log=concat_logs(logs))
