"""Clean stage: ids, duplicates, labels, ranges, reverse keys, pseudonymisation, linking.

Contract (docs/design.md): every raw row ends up either in the clean data or in the QC log with
``action == "row_dropped"``; every changed cell is logged; raw ids never leave this module.

The QC log and its conventions are described in :mod:`pipeline.clean.qc_log`; linking waves,
the wide table and the accounting check live in :mod:`pipeline.clean.link` (re-exported here);
the whole study is cleaned by :mod:`pipeline.clean.study`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.clean.link import check_accounting, link_waves, to_wide
from pipeline.clean.pseudonym import normalise_id, pseudonymise
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
from pipeline.clean.values import (
    cell_text,
    clean_categorical_covariate,
    clean_item,
    clean_numeric_covariate,
    parse_dates,
)
from pipeline.config import Covariate, Scale
from pipeline.errors import InputFileError, closest_names

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
        "fix the name in config/config.yaml."
    )


def _resolve_duplicates(
    pid: pd.Series, n_answered: pd.Series, date: pd.Series, row: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Rule "most complete, then latest": per pid keep the row with most answered items; ties
    -> latest completion date (a missing date counts as earliest); further ties -> the last row
    in the file. Returns (keep mask, issue text for dropped rows)."""
    d = pd.DataFrame({"pid": pid, "n": n_answered, "date": date, "row": row})
    order = d.sort_values(
        ["pid", "n", "date", "row"], ascending=[True, False, False, False], na_position="last"
    )
    first = ~order["pid"].duplicated(keep="first")
    keep = first.reindex(d.index)
    winner = order[first].set_index("pid")
    w = winner.reindex(d["pid"]).set_index(d.index)
    later = (w["date"] > d["date"]) | (w["date"].notna() & d["date"].isna())
    reason = np.where(w["n"] > d["n"], "more complete", np.where(later, "later", "last in file"))
    issue = "duplicate id: kept row " + w["row"].astype(int).astype(str) + " (" + reason + ")"
    return keep, issue.where(~keep).astype("string")


def _id_logs(where: Where, raw_ids: pd.Series, norm: pd.Series, column: str) -> list:
    """Log rows without an id (dropped) and ids changed by normalisation (never the raw id)."""
    idx = raw_ids.index
    has_id = norm.notna().to_numpy()
    text = cell_text(raw_ids)
    space = has_id & (text.str.replace(r"\s+", "", regex=True) != text).fillna(False).to_numpy(bool)
    case = has_id & ~space & (text != norm).fillna(False).to_numpy(bool)
    no_pid = Where(where.file, where.row, None, where.wave)
    return [
        cell_log(no_pid, column, "(blank)", issue_where("missing id", ~has_id, idx), ROW_DROPPED),
        cell_log(
            where,
            column,
            "case/whitespace differs",
            issue_where("id normalised (white space removed, case folded)", space, idx),
            "id_normalised",
        ),
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


def _clean_covariate(where: Where, kept: pd.DataFrame, cov: Covariate) -> tuple[pd.Series, list]:
    """One covariate column: numeric range check or categorical level matching; a covariate
    this wave does not have (read from another wave) is all missing."""
    if cov.column not in kept.columns:
        numeric = cov.type == "numeric"
        return pd.Series(np.nan if numeric else pd.NA, index=kept.index,
                         dtype=float if numeric else "string"), []
    raw = kept[cov.column]
    if cov.type == "numeric":
        v, issue, p = clean_numeric_covariate(raw, cov)
        return v, [
            summary_log(
                where, p.kind.eq("token"), cov.column, "missing-value text", SET_MISSING, p.text
            ),
            cell_log(where, cov.column, p.text, issue, SET_MISSING),
        ]
    v, issue, respelled = clean_categorical_covariate(raw, cov)
    return v, [
        cell_log(where, cov.column, cell_text(raw), issue, SET_MISSING),
        summary_log(
            where, respelled, cov.column, "spelling normalised to configured level", "recoded"
        ),
    ]


def _clean_scale(where: Where, raw: pd.DataFrame, sc: Scale) -> tuple[pd.DataFrame, list]:
    """All items of one scale (:func:`clean_item`) with their log rows."""
    values, logs = {}, []
    lo, hi = sc.range
    for it in sc.items:
        v, issue, p = clean_item(raw[it].rename(it), sc)
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
) -> CleanWave:
    """Clean one wave as returned by the reader (see the module docstring for the log).

    Steps: drop rows without an id; normalise (:func:`pipeline.clean.pseudonym.normalise_id`) and
    pseudonymise ids; clean item cells (:func:`pipeline.clean.values.clean_item`: labels,
    missing codes, ranges, non-integer Likert values -> missing; reverse keying), covariates
    and the completion date; resolve within-wave duplicate ids ("most complete, then latest",
    :func:`_resolve_duplicates`). Covariate columns are required in the baseline wave (or the
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
    norm = normalise_id(raw[id_column])
    pid = pseudonymise(norm, salt)
    file, row = raw["_source_file"].astype("string"), raw["_source_row"].astype(int)
    logs = _id_logs(Where(file, row, pid, wave_id), raw[id_column], norm, id_column)

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
        out[key], cov_logs = _clean_covariate(where, kept, cov)
        logs += cov_logs
    item_frames = [pd.DataFrame(index=kept.index)]
    for sc in scales.values():
        frame, item_logs = _clean_scale(where, kept, sc)
        item_frames.append(frame)
        logs += item_logs
    items = pd.concat(item_frames, axis=1)
    out = pd.concat([out, items], axis=1)

    keep, dup_issue = _resolve_duplicates(
        out["pid"], items.notna().sum(axis=1), out["date"], where.row
    )
    logs.append(cell_log(where, id_column, "(duplicate)", dup_issue, ROW_DROPPED))
    out["_source_file"] = where.file
    out["_source_row"] = where.row.astype("int64")
    data = out[keep.to_numpy(dtype=bool)].reset_index(drop=True)
    return CleanWave(data=data, log=concat_logs(logs))
