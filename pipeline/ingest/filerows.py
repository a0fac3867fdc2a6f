"""Rows of a long file that belong to no wave, and covariates recorded on other rows.

A REDCap longitudinal export holds rows of every event: those of the configured waves' events,
those of the enrolment event (where REDCap records age and sex), and those of events no wave uses
(a dose visit, a final visit). Every row of the file must end somewhere: in a wave, in the QC log
as ``event not used (<event>)`` (action ``row_dropped``), or as a covariate source (action
``covariate_source``, logged once, not dropped: the row gave a covariate value to a wave's row).
The first configured wave that reads the file logs these file-level rows, so that they are
logged once and not once per wave (:class:`FilePlan` ``first``). Empty rows of a long file are
logged ``skipped`` by that wave too.

Per file: rows in the file = sum over its waves of ``n_rows_read`` + ``n_rows_unused`` +
``n_rows_covariate_source`` + ``n_empty_rows_file`` (the last three in the first wave's meta).

Covariates (:class:`CovariateSource`):

* ``event``: the value comes from the row of that event of the same record (REDCap's enrolment
  event); a value already on the wave's row is kept; a record with two rows of the event is not
  guessed between (its value is not carried; noted);
* ``first_nonempty``: the first non-empty value across the record's rows **in file order**.
  REDCap exports a record's rows in the project's event order (enrolment first), so file order is
  the event order; a file sorted otherwise should be exported again in REDCap's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .ids import ids_as_text
from .longfile import REDCAP_REPEAT, Selection, baseline_carry, selection_mask
from .result import RawTable, log_entry

__all__ = ["COVARIATE_SOURCE", "CovariateSource", "FilePlan", "carry_covariates",
           "log_file_rows", "unused_issue"]

COVARIATE_SOURCE = "covariate_source"
"""QC-log action of a row whose only use is to give covariate values to a wave's row."""


@dataclass(frozen=True)
class CovariateSource:
    """A covariate taken from another row of the record: ``events`` (``()`` = the first
    non-empty value in file order) into wave ``wave_id``'s rows."""

    key: str
    column: str
    wave_id: str
    events: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        if self.events:
            return f"covariate source (event {', '.join(self.events)})"
        return "covariate source (first non-empty value)"


@dataclass(frozen=True)
class FilePlan:
    """What one wave's ingest knows of the file: every wave read from it (``selections``, in
    wave order, this wave included), whether this wave logs the file-level rows (``first``), and
    the covariates taken from other rows of the file (``covariates``)."""

    selections: tuple[Selection, ...]
    first: bool
    covariates: tuple[CovariateSource, ...] = ()

    def selection(self, wave_id: str) -> Selection | None:
        return next((s for s in self.selections if s.wave_id == wave_id), None)


def _blank(s: pd.Series) -> np.ndarray:
    return (s.isna() | s.astype("string").str.strip().eq("")).fillna(True).to_numpy(dtype=bool)


def _ids(df: pd.DataFrame, id_column: str) -> pd.Series:
    """Record ids as stripped text (object dtype; blank -> None)."""
    ids, _ = ids_as_text(df[id_column])
    text = ids.astype("string").str.strip()
    return text.mask(text.eq("")).astype(object).where(text.notna() & text.ne(""), None)


def _event_rows(df: pd.DataFrame, column: str | None, events: tuple[str, ...]) -> np.ndarray:
    if column is None or column not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df[column].astype("string").str.strip().isin(events).fillna(False).to_numpy(bool)


def _first_nonempty_rows(df: pd.DataFrame, ids: pd.Series, column: str) -> pd.Series:
    """Record id -> position (in ``df``) of its first row with ``column`` non-empty."""
    ok = ~_blank(df[column]) & ids.notna().to_numpy()
    pos = pd.Series(np.flatnonzero(ok), index=ids[ok].to_numpy())
    return pos[~pos.index.duplicated(keep="first")]


def _source_rows(df: pd.DataFrame, plan: FilePlan, id_column: str,
                 event_column: str | None) -> dict[int, set[str]]:
    """Position in ``df`` -> reasons, for the rows a covariate of a wave of this file comes from
    (only records that have a row in that wave)."""
    ids = _ids(df, id_column)
    out: dict[int, set[str]] = {}
    for cs in plan.covariates:
        target = plan.selection(cs.wave_id)
        if target is None or cs.column not in df.columns:
            continue
        wanted = set(ids[selection_mask(df, target)].dropna())
        if cs.events:
            hits = np.flatnonzero(_event_rows(df, event_column, cs.events)
                                  & ids.isin(wanted).to_numpy())
        else:
            first = _first_nonempty_rows(df, ids, cs.column)
            hits = first[first.index.isin(wanted)].to_numpy()
        for i in hits:
            out.setdefault(int(i), set()).add(cs.reason)
    return out


def _joined(reasons: set[str]) -> str:
    """"covariate source (event e)" + "covariate source (first ...)" -> one text."""
    inner = sorted(r.removeprefix("covariate source (").removesuffix(")") for r in reasons)
    return f"covariate source ({'; '.join(inner)})"


def unused_issue(event: str | None, instrument: str | None, instance: float | None,
                 event_used: bool) -> str:
    """Why a row belongs to no wave: its event, or (event used) its repeat instance."""
    if event is not None and not event_used:
        return f"event not used ({event})"
    where = f", event {event}" if event is not None else ""
    if instance is None or pd.isna(instance):
        return f"row not used (not a repeat instance{where})"
    return f"instance not used ({instrument or 'repeat'} {int(instance)}{where})"


def _unused_issues(df: pd.DataFrame, idx: np.ndarray, column: str | None,
                   used_events: set[str]) -> tuple[list[str | None], list[str]]:
    """(event, issue) of the rows ``idx`` of ``df`` that no wave takes (:func:`unused_issue`)."""
    def cells(c: str | None) -> list:
        if not c or c not in df.columns:
            return [None] * len(idx)
        return [None if pd.isna(v) else str(v).strip() for v in df[c].to_numpy(dtype=object)[idx]]

    events, instr = cells(column), cells(REDCAP_REPEAT[0])
    inst = (pd.to_numeric(df[REDCAP_REPEAT[1]], errors="coerce").to_numpy()[idx]
            if REDCAP_REPEAT[1] in df.columns else np.full(len(idx), np.nan))
    issues = [unused_issue(e, i or None, n, e in used_events)
              for e, i, n in zip(events, instr, inst)]
    return events, issues


def log_file_rows(full: RawTable, plan: FilePlan, *, id_column: str, file: str) -> RawTable:
    """Log the rows of ``full`` (the whole file, empty rows removed) that no wave of ``plan``
    selects: covariate sources (``covariate_source``) or unused (``row_dropped``). Returns
    ``full`` with the log entries and the counts in its meta (data unchanged)."""
    df = full.data
    in_wave = np.zeros(len(df), dtype=bool)
    for sel in plan.selections:
        in_wave |= selection_mask(df, sel)
    column = next((s.column for s in plan.selections if s.column), None)
    sources = _source_rows(df, plan, id_column, column)
    rows = np.asarray(full.rows)
    idx = np.flatnonzero(~in_wave)
    is_source = np.asarray([int(i) in sources for i in idx], dtype=bool)
    unused = idx[~is_source]
    events, issues = _unused_issues(df, unused, column,
                                    {e for s in plan.selections for e in s.events})
    entries = [(int(i), log_entry(file, int(rows[i]), None, None, _joined(sources[int(i)]),
                                  COVARIATE_SOURCE)) for i in idx[is_source]]
    entries += [(int(i), log_entry(file, int(rows[i]), column, e, issue, "row_dropped"))
                for i, e, issue in zip(unused, events, issues)]
    log = [*full.log, *(entry for _, entry in sorted(entries, key=lambda t: t[0]))]
    meta = {**full.meta, "n_rows_unused": len(unused),
            "n_rows_covariate_source": int(is_source.sum())}
    return RawTable(df, full.rows, log, meta)


def carry_covariates(table: RawTable, full: RawTable, plan: FilePlan, *, wave_id: str,
                     id_column: str, event_column: str | None, file: str = "") -> RawTable:
    """Fill this wave's covariate columns from the other rows of the record (see the module
    docstring); notes in ``meta['notes']``. A wave's row whose record has no row of the
    covariate's event(s) is logged (``flagged``): with two arms and one event named, the other
    arm's participants would otherwise lose the covariate without a word."""
    sources = [cs for cs in plan.covariates if cs.wave_id == wave_id
               and cs.column in table.data.columns]
    if not sources or table.data.empty:
        return table
    data = table.data.copy()
    ids = _ids(data, id_column)
    fids = _ids(full.data, id_column)
    notes = list(table.meta.get("notes", []))
    log = list(table.log)
    for cs in sources:
        before = int((~_blank(data[cs.column])).sum())
        if cs.events:
            base = full.data[_event_rows(full.data, event_column, cs.events)]
            key = fids[base.index]
            dup = key[key.duplicated(keep=False)].dropna().unique()
            carried = baseline_carry(data.assign(_k=ids), base.assign(_k=key.to_numpy()), "_k",
                                     [cs.column])
            data[cs.column] = carried[cs.column].to_numpy()
            lacking = (ids.notna() & ~ids.isin(set(key.dropna()))).to_numpy()
            rows = np.asarray(table.rows)[lacking]
            issue = (f"covariate {cs.key}: this record has no row of event "
                     f"{' or '.join(cs.events)} (list every arm's event, or use "
                     "first_nonempty: true)")
            log.extend(log_entry(file, int(r), cs.column, None, issue, "flagged") for r in rows)
            if len(dup):
                notes.append(f"covariate {cs.key}: {len(dup)} record(s) have several rows of "
                             f"event {', '.join(cs.events)}; their value is not carried")
        else:
            first = _first_nonempty_rows(full.data, fids, cs.column)
            values = full.data[cs.column].to_numpy(dtype=object)
            pos = ids.map(first)
            picked = [values[int(p)] if pd.notna(p) else None for p in pos]
            own = data[cs.column].astype(object)
            data[cs.column] = pd.Series(picked, index=data.index, dtype=object).where(
                ids.notna(), own)
        after = int((~_blank(data[cs.column])).sum())
        notes.append(f"covariate {cs.key} ('{cs.column}'): {cs.reason.split('(', 1)[1][:-1]}; "
                     f"{after} of {len(data)} row(s) have a value ({before} on the wave's rows)")
    meta = {**table.meta, "notes": notes}
    return RawTable(data, table.rows, log, meta)
